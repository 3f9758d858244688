#!/usr/bin/python3
"""A scripted STOMP conversation driven by a real client, stomp.py (Debian's python3-stomp, 8.0.0).

Always run it with /usr/bin/python3 (the first python3 on PATH may be another interpreter without stomp.py).

    /usr/bin/python3 stomppy_scenario.py --host 127.0.0.1 --port 61613 --version 1.2 --log run.jsonl

Scenario: CONNECT (1.1: CONNECT command, 1.2: STOMP command) with heart-beats; SUBSCRIBE with
ack:client-individual; SEND text messages with receipts; SEND a binary body (NULs, invalid UTF-8) with
content-length; SEND with header values that need escaping (':' '\\n' '\\\\', and '\\r' in 1.2); BEGIN, two
SENDs in the transaction, COMMIT; receive and ACK every message (optionally slowly); linger so heart-beats
flow; UNSUBSCRIBE with receipt; DISCONNECT with receipt.

Log: one JSON object per line, for every frame and heart-beat this client sent or received, taken from the
bytes that really went through its socket (the transport's send()/receive() are wrapped) and parsed here;
stomp.py's listener hooks (on_send, on_connected, on_message, on_receipt, on_error) are recorded too and
cross-checked against the wire: any disagreement is an error. Lines:

  {"event":"frame","dir":"sent"|"received","t":ISO-8601 UTC µs,"command":..,"headers":[[name,value],..],
   "bodyLength":n,"bodySha256":hex,"body":text|null}
  {"event":"heartbeat","dir":..,"t":..}
  {"event":"done","ok":true|false,"version":..,"messages":n,"bytesSent":n,"bytesReceived":n,
   "sentSha256":hex,"receivedSha256":hex,"localPort":n,"queue":..,"errors":[..]}

Headers in the log are unescaped per the negotiated version (CONNECT, STOMP and CONNECTED never are), in wire
order, repeats kept. Exit status 0 only when the whole scenario ran and the cross-checks passed.
"""

import argparse
import datetime
import hashlib
import json
import os
import sys
import threading
import time
import uuid

os.environ.setdefault("STOMP_SKIP_HOSTNAME_SCAN", "1")  # no DNS look-ups of our own host name

import stomp  # noqa: E402
from stomp.listener import ConnectionListener  # noqa: E402


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UNESCAPES = {
    "1.1": {"n": "\n", "c": ":", "\\": "\\"},
    "1.2": {"n": "\n", "c": ":", "\\": "\\", "r": "\r"},
}


def unescape(value, version, command):
    """STOMP 1.1/1.2 header unescaping; CONNECT, STOMP and CONNECTED frames are never escaped."""
    table = UNESCAPES.get(version)
    if table is None or command in ("CONNECT", "STOMP", "CONNECTED"):
        return value
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and value[i + 1] in table:
            out.append(table[value[i + 1]])
            i += 2
        elif ch == "\\":
            raise ValueError("undefined escape in %r" % value)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class WireParser:
    """Incremental splitter for one direction of a well-formed STOMP stream (bytes in, events out)."""

    def __init__(self, on_event):
        self.buf = b""
        self.on_event = on_event

    def feed(self, data):
        self.buf += data
        while self.buf:
            if self.buf.startswith(b"\n"):
                self.buf = self.buf[1:]
                self.on_event(("heartbeat",))
                continue
            if self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
                self.on_event(("heartbeat",))
                continue
            if self.buf == b"\r":
                return
            end = self.buf.find(b"\n\n")
            end_crlf = self.buf.find(b"\r\n\r\n")
            if end < 0 and end_crlf < 0:
                return
            if end_crlf >= 0 and (end < 0 or end_crlf < end):
                head, body_start = self.buf[:end_crlf], end_crlf + 4
            else:
                head, body_start = self.buf[:end], end + 2
            lines = head.decode("utf-8").replace("\r\n", "\n").split("\n")
            command, raw_headers = lines[0], []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                raw_headers.append((name, value))
            length = next((int(v) for (k, v) in raw_headers if k == "content-length"), None)
            if length is not None:
                if len(self.buf) < body_start + length + 1:
                    return
                body = self.buf[body_start:body_start + length]
                if self.buf[body_start + length:body_start + length + 1] != b"\x00":
                    raise ValueError("frame %s: no NUL after content-length bytes" % command)
                rest = body_start + length + 1
            else:
                nul = self.buf.find(b"\x00", body_start)
                if nul < 0:
                    return
                body = self.buf[body_start:nul]
                rest = nul + 1
            self.buf = self.buf[rest:]
            self.on_event(("frame", command, raw_headers, body))


class Scenario(ConnectionListener):
    def __init__(self, args):
        self.args = args
        self.version = args.version
        self.negotiated = None  # version from CONNECTED
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.out = open(args.log, "w") if args.log and args.log != "-" else sys.stdout
        self.errors = []
        self.wire = {"sent": [], "received": []}  # parsed frames, in order
        self.hooks = {"sent": [], "received": []}  # what stomp.py's listener hooks saw, in order
        self.receipts = set()
        self.messages = []  # (headers, body) from on_message
        self.connected = False
        self.disconnected = threading.Event()
        self.bytes = {"sent": 0, "received": 0}
        self.sha = {"sent": hashlib.sha256(), "received": hashlib.sha256()}
        self.parsers = {d: WireParser(lambda ev, d=d: self._wire_event(d, ev)) for d in ("sent", "received")}
        self.conn = None
        self.local_port = None

    # ---- log -------------------------------------------------------------------------------------------
    def log(self, obj):
        with self.lock:
            self.out.write(json.dumps(obj) + "\n")
            self.out.flush()

    def error(self, msg):
        self.errors.append(msg)
        self.log({"event": "error", "t": now_iso(), "message": msg})

    def _wire_event(self, direction, ev):
        if ev[0] == "heartbeat":
            self.log({"event": "heartbeat", "dir": direction, "t": now_iso()})
            return
        _, command, raw_headers, body = ev
        if command == "CONNECTED":
            self.negotiated = dict(raw_headers).get("version", "1.0")
        version = self.negotiated or "1.0"
        try:
            headers = [[k, unescape(v, version, command)] for (k, v) in raw_headers]
        except ValueError as e:
            self.error("%s %s: %s" % (direction, command, e))
            headers = [[k, v] for (k, v) in raw_headers]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        rec = {
            "event": "frame", "dir": direction, "t": now_iso(), "command": command, "headers": headers,
            "bodyLength": len(body), "bodySha256": hashlib.sha256(body).hexdigest(), "body": text,
        }
        self.wire[direction].append((command, headers, body))
        self.log(rec)

    # ---- transport taps: the exact bytes on the socket -------------------------------------------------
    def tap(self, transport):
        orig_send, orig_receive = transport.send, transport.receive

        def send(encoded):
            orig_send(encoded)  # raises if it did not go out; then it is not logged
            with self.lock:
                self.bytes["sent"] += len(encoded)
                self.sha["sent"].update(encoded)
            self.parsers["sent"].feed(encoded)

        def receive():
            data = orig_receive()
            if data:
                with self.lock:
                    self.bytes["received"] += len(data)
                    self.sha["received"].update(data)
                self.parsers["received"].feed(data)
            return data

        transport.send, transport.receive = send, receive

    # ---- stomp.py listener hooks -------------------------------------------------------------------------
    def on_send(self, frame):
        if frame.cmd:  # heart-beats come through here as a frame with no command
            body = frame.body if isinstance(frame.body, (bytes, type(None))) else frame.body.encode("utf-8")
            self.hooks["sent"].append((frame.cmd, dict(frame.headers), body or b""))

    def on_connected(self, frame):
        self.hooks["received"].append(("CONNECTED", dict(frame.headers), frame.body or b""))
        with self.cond:
            self.connected = True
            self.cond.notify_all()

    def on_message(self, frame):
        self.hooks["received"].append(("MESSAGE", dict(frame.headers), frame.body or b""))
        with self.cond:
            self.messages.append((dict(frame.headers), frame.body or b""))
            self.cond.notify_all()

    def on_receipt(self, frame):
        self.hooks["received"].append(("RECEIPT", dict(frame.headers), frame.body or b""))
        with self.cond:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def on_error(self, frame):
        self.hooks["received"].append(("ERROR", dict(frame.headers), frame.body or b""))
        self.error("ERROR frame from broker: %s %r" % (frame.headers.get("message"), frame.body))

    def on_disconnected(self):
        self.disconnected.set()

    # ---- helpers ---------------------------------------------------------------------------------------
    def wait_for(self, pred, what, timeout=None):
        deadline = time.monotonic() + (timeout or self.args.timeout)
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("timed out waiting for %s" % what)
                self.cond.wait(min(left, 0.5))

    def wait_receipt(self, rid):
        self.wait_for(lambda: rid in self.receipts, "RECEIPT " + rid)

    # ---- the scenario ----------------------------------------------------------------------------------
    def run(self):
        a = self.args
        hb = (a.heartbeat, a.heartbeat)
        cls = stomp.StompConnection12 if a.version == "1.2" else stomp.StompConnection11
        # vhost "/" goes in the host header: RabbitMQ takes the host header as the virtual host.
        conn = cls([(a.host, a.port)], heartbeats=hb, vhost="/", auto_decode=False, reconnect_attempts_max=1,
                   timeout=a.timeout)
        self.conn = conn
        conn.set_listener("scenario", self)
        self.tap(conn.transport)
        run_id = a.run_id or uuid.uuid4().hex[:8]
        queue = a.queue or "/queue/stompscope-%s-%s" % (a.version.replace(".", ""), run_id)

        conn.connect("guest", "guest", wait=True, with_connect_command=(a.version == "1.1"))
        self.local_port = conn.transport.socket.getsockname()[1]
        sub_headers = {"prefetch-count": str(a.prefetch)} if a.prefetch else {}
        conn.subscribe(queue, id="sub-1", ack="client-individual", receipt="r-sub", headers=sub_headers)
        self.wait_receipt("r-sub")

        expected = 0
        for i in range(a.messages):
            conn.send(queue, "text message %d: héllo wörld" % i, content_type="text/plain", receipt="r-text-%d" % i)
            self.wait_receipt("r-text-%d" % i)
            expected += 1

        binary = bytes(range(256)) * 2 + b"\x00\x00NUL-in-the-middle\x00\xff\xfe"
        conn.send(queue, binary, content_type="application/octet-stream", receipt="r-binary")
        self.wait_receipt("r-binary")
        expected += 1

        escaped = {"x-colon": "a:b:c", "x-newline": "line1\nline2", "x-backslash": "back\\slash"}
        if a.version == "1.2":
            escaped["x-cr"] = "carriage\rreturn"
        conn.send(queue, "escaped headers", receipt="r-escaped", headers=dict(escaped))
        self.wait_receipt("r-escaped")
        expected += 1

        tx = conn.begin(transaction="tx-1")
        conn.send(queue, "in transaction 1", transaction=tx)
        conn.send(queue, "in transaction 2", transaction=tx)
        conn.commit(transaction=tx, receipt="r-commit")
        self.wait_receipt("r-commit")
        expected += 2

        acked = 0
        deadline = time.monotonic() + a.timeout + a.slow * expected
        while acked < expected:
            if time.monotonic() > deadline:
                raise TimeoutError("only %d of %d messages arrived" % (acked, expected))
            self.wait_for(lambda: len(self.messages) > acked, "MESSAGE %d" % (acked + 1),
                          timeout=max(1.0, deadline - time.monotonic()))
            headers, _ = self.messages[acked]
            if a.slow:
                time.sleep(a.slow)  # a deliberately slow consumer
            if a.version == "1.2":
                conn.ack(headers["ack"])
            else:
                conn.ack(headers["message-id"], headers["subscription"])
            acked += 1

        # What the broker delivered must be what we sent (bodies, and the escaped header values round trip).
        bodies = [m[1] for m in self.messages]
        if binary not in bodies:
            self.error("binary body did not come back intact")
        esc = [m[0] for m in self.messages if m[1] == b"escaped headers"]
        if not esc or any(esc[0].get(k) != v for k, v in escaped.items()):
            self.error("escaped header values did not round-trip: %r" % (esc[:1],))

        time.sleep(a.linger)  # let heart-beats flow both ways
        conn.unsubscribe("sub-1", receipt="r-unsub")
        self.wait_receipt("r-unsub")
        conn.disconnect(receipt="r-disconnect")
        self.disconnected.wait(a.timeout)
        return expected, queue

    def cross_check(self):
        """The hooks must agree with the wire: same frames, same order, same bodies, same (first) headers."""
        for direction in ("sent", "received"):
            wire = [w for w in self.wire[direction]]
            hooks = self.hooks[direction]
            if direction == "received":
                wire = [w for w in wire if w[0] in ("CONNECTED", "MESSAGE", "RECEIPT", "ERROR")]
            if len(wire) != len(hooks):
                self.error("%s: %d frames on the wire, %d seen by stomp.py hooks" % (direction, len(wire), len(hooks)))
                continue
            for (wcmd, wheaders, wbody), (hcmd, hheaders, hbody) in zip(wire, hooks):
                if wcmd != hcmd or wbody != hbody:
                    self.error("%s: wire %s vs hook %s differ (command or body)" % (direction, wcmd, hcmd))
                if direction == "received":
                    first = {}
                    for k, v in wheaders:
                        first.setdefault(k, v)
                    if first != hheaders:
                        self.error("received %s: wire headers %r vs hook headers %r" % (wcmd, first, hheaders))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--version", choices=["1.1", "1.2"], default="1.2")
    p.add_argument("--log", default="-", help="JSON-lines log file ('-' = stdout)")
    p.add_argument("--queue", default=None, help="destination (default: a fresh /queue/stompscope-...)")
    p.add_argument("--run-id", default=None)
    p.add_argument("--messages", type=int, default=3, help="text messages with receipts")
    p.add_argument("--heartbeat", type=int, default=1000, help="heart-beat ms asked for both ways (0 = none)")
    p.add_argument("--linger", type=float, default=2.5, help="seconds to stay connected before UNSUBSCRIBE")
    p.add_argument("--slow", type=float, default=0.0, help="seconds to sleep per message before ACK")
    p.add_argument("--prefetch", type=int, default=0, help="RabbitMQ prefetch-count on SUBSCRIBE (0 = none)")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds allowed for each wait")
    args = p.parse_args()

    s = Scenario(args)
    ok, expected, queue = False, 0, None
    try:
        expected, queue = s.run()
        time.sleep(0.2)  # let the receiver thread finish calling hooks for the last frames
        s.cross_check()
        ok = not s.errors
    except Exception as e:  # report, do not hang: the log says what happened
        s.error("%s: %s" % (type(e).__name__, e))
        try:
            if s.conn is not None:
                s.conn.transport.disconnect_socket()
        except Exception:
            pass
    with s.lock:
        summary = {
            "event": "done", "t": now_iso(), "ok": ok, "client": "stomp.py", "version": args.version,
            "negotiated": s.negotiated, "messages": len(s.messages), "expectedMessages": expected, "queue": queue,
            "bytesSent": s.bytes["sent"], "bytesReceived": s.bytes["received"],
            "sentSha256": s.sha["sent"].hexdigest(), "receivedSha256": s.sha["received"].hexdigest(),
            "localPort": s.local_port, "errors": s.errors,
        }
    s.log(summary)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
