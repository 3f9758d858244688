"""A STOMP 1.2 conversation over TLS with Python's ssl module, its secrets written to a key log (keylog_filename,
the SSLKEYLOGFILE mechanism). Prints one JSON line: the bytes it sent and received (hex), its local port, the
negotiated version and cipher. Every wait is bounded."""
import argparse
import json
import socket
import ssl
import sys

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--keylog", required=True)
p.add_argument("--tag", required=True)
p.add_argument("--max-version", choices=["1.2", "1.3"], default="1.3")
p.add_argument("--ciphers", default=None)
a = p.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.keylog_filename = a.keylog
ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if a.max_version == "1.2" else ssl.TLSVersion.TLSv1_3
if a.ciphers:
    ctx.set_ciphers(a.ciphers)

sent = bytearray()
received = bytearray()
raw = socket.create_connection(("127.0.0.1", a.port), timeout=20)
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
s.settimeout(20)
port = s.getsockname()[1]


def send(b):
    s.sendall(b)
    sent.extend(b)


def wait_for(marker):
    while marker not in received:
        d = s.recv(65536)
        if not d:
            raise SystemExit("connection closed before " + marker.decode())
        received.extend(d)


q = "/queue/tls-py-" + a.tag
send(b"CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0")
wait_for(b"CONNECTED")
send(("SUBSCRIBE\nid:0\ndestination:%s\nreceipt:sub\n\n\0" % q).encode())
wait_for(b"receipt-id:sub")
body = ("python over TLS %s: h\u00e9llo" % a.tag).encode("utf-8") + bytes(range(1, 200))
send(("SEND\ndestination:%s\ncontent-type:application/octet-stream\ncontent-length:%d\nreceipt:sent\n\n" % (q, len(body))).encode() + body + b"\0")
wait_for(body)
wait_for(b"receipt-id:sent")
send(b"DISCONNECT\nreceipt:bye\n\n\0")
wait_for(b"receipt-id:bye")
# The broker closes after the DISCONNECT receipt: read to the end.
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        received.extend(d)
except (ssl.SSLError, OSError):
    pass
version = s.version()
cipher = s.cipher()[0]
try:
    s.close()
except OSError:
    pass
print(json.dumps({"sent": sent.hex(), "received": received.hex(), "localPort": port, "version": version, "cipher": cipher}))
sys.stdout.flush()
