#!/usr/bin/python3
"""What a stomp.py application sees when proxy rules act on its traffic: one small conversation per action.

    /usr/bin/python3 stomppy_rules.py ACTION --port PORT [--direct-port PORT] --queue Q

Prints one JSON object (the client's observations) on stdout. Every wait is bounded; the script never waits on a
broker's timer: heart-beat failure is stomp.py's own report (on_heartbeat_timeout) with small negotiated values.

  delay        SUBSCRIBE Q, SEND to Q; reports the ms from the SEND to the MESSAGE.
  drop         SEND with receipt r-7, then with receipt r-8; reports the receipts received once r-8 came.
  set-header   SEND to Q through the proxy; a subscriber connected to the broker directly reports the MESSAGE's headers.
  reply        SEND to Q with a receipt; reports the ERROR (or RECEIPT) received and whether the connection closed.
  stall        CONNECT with heart-beat 0,300 and waits (at most 20 s) for stomp.py's heart-beat timeout.
"""

import argparse
import json
import os
import sys
import threading
import time

os.environ.setdefault("STOMP_SKIP_HOSTNAME_SCAN", "1")

import stomp  # noqa: E402


class Listener(stomp.ConnectionListener):
    def __init__(self):
        self.cond = threading.Condition()
        self.messages = []
        self.receipts = []
        self.errors = []
        self.disconnected = False
        self.heartbeat_timeout = False

    def _add(self, fn):
        with self.cond:
            fn()
            self.cond.notify_all()

    def on_message(self, frame):
        self._add(lambda: self.messages.append((time.monotonic(), frame)))

    def on_receipt(self, frame):
        self._add(lambda: self.receipts.append(frame.headers.get("receipt-id")))

    def on_error(self, frame):
        self._add(lambda: self.errors.append(frame))

    def on_disconnected(self):
        self._add(lambda: setattr(self, "disconnected", True))

    def on_heartbeat_timeout(self):
        self._add(lambda: setattr(self, "heartbeat_timeout", True))

    def wait(self, pred, seconds=15):
        with self.cond:
            return self.cond.wait_for(pred, timeout=seconds)


def connect(port, heartbeats=(0, 0)):
    # vhost "/" goes in the host header: RabbitMQ takes the host header as the virtual host.
    c = stomp.Connection12([("127.0.0.1", port)], heartbeats=heartbeats, vhost="/", reconnect_attempts_max=1, timeout=10)
    listener = Listener()
    c.set_listener("l", listener)
    c.connect("guest", "guest", wait=True)
    return c, listener


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--direct-port", type=int)
    ap.add_argument("--queue", required=True)
    a = ap.parse_args()
    out = {}
    if a.action == "delay":
        c, l = connect(a.port)
        c.subscribe(a.queue, id="s1", ack="auto")
        # RabbitMQ handles one connection's frames in order: the subscription exists before the SEND.
        t0 = time.monotonic()
        c.send(a.queue, "slow please")
        ok = l.wait(lambda: len(l.messages) >= 1)
        out = {"gotMessage": ok, "ms": (l.messages[0][0] - t0) * 1000 if ok else None,
               "body": l.messages[0][1].body if ok else None}
        c.disconnect()
    elif a.action == "drop":
        c, l = connect(a.port)
        c.send(a.queue, "one", headers={"receipt": "r-7"})
        c.send(a.queue, "two", headers={"receipt": "r-8"})
        ok = l.wait(lambda: "r-8" in l.receipts)
        out = {"gotR8": ok, "receipts": list(l.receipts)}
        c.disconnect()
    elif a.action == "set-header":
        d, dl = connect(a.direct_port)
        d.subscribe(a.queue, id="s1", ack="auto", headers={"receipt": "sub"})
        dl.wait(lambda: "sub" in dl.receipts)
        c, l = connect(a.port)
        c.send(a.queue, "tagged")
        ok = dl.wait(lambda: len(dl.messages) >= 1)
        out = {"gotMessage": ok, "headers": dict(dl.messages[0][1].headers) if ok else None}
        c.disconnect()
        d.disconnect()
    elif a.action == "reply":
        c, l = connect(a.port)
        c.send(a.queue, "secret", headers={"receipt": "r-admin"})
        ok = l.wait(lambda: l.errors or l.receipts)
        closed = l.wait(lambda: l.disconnected, 10)
        out = {"answered": bool(ok), "errors": [{"headers": dict(e.headers), "body": e.body} for e in l.errors], "receipts": list(l.receipts),
               "closed": closed}
        try:
            c.disconnect()
        except Exception:
            pass
    elif a.action == "stall":
        c, l = connect(a.port, heartbeats=(0, 300))
        ok = l.wait(lambda: l.heartbeat_timeout, 20)
        out = {"heartbeatTimeout": ok}
        try:
            c.disconnect()
        except Exception:
            pass
    else:
        print("unknown action", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
