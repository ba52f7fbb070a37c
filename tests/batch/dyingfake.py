#!/usr/bin/env python3
"""dyingfake.py — the fake Space (tests/fake_space/fake_space.py, imported, not changed) made
to stop answering after N successful predictions, in one of four ways:

    python3 tests/batch/dyingfake.py MODE N [--stats-file F] [fake_space.py options...]

  hang        everything goes silent: open streams and new requests get no byte, not even a
              heartbeat, and the connections stay open (fake_space's own --stop-after N)
  heartbeats  the Space still takes uploads and predictions, but none ever completes: every
              stream sends its heartbeat (--heartbeat-s) for ever
  refuse      the process exits: open connections are reset, new ones refused
  503         every new request gets 503 with an HTML page (a proxy in front of a dead app);
              open streams are cut

N 0 means dead from the start.  --stats-file F: in refuse mode the fake's stats (as
/__fake/stats gives them) are written to F just before it exits, so a test can still tell
what it completed.  batchlib.Suite.dying() starts one.
"""
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "fake_space")))
import fake_space as fs  # noqa: E402

MODES = ("hang", "heartbeats", "refuse", "503")
FOREVER_MS = 1e9


def take_option(argv, name):
    if name in argv:
        i = argv.index(name)
        value = argv[i + 1]
        del argv[i:i + 2]
        return value
    return None


def after_n(n, then):
    """Call then(state) once the Nth prediction succeeded (its answer still goes out)."""
    run_event = fs.State.run_event
    lock = threading.Lock()
    seen = [0]

    def counted(self, ev, duration):
        msg = run_event(self, ev, duration)
        if msg.get("success") and not ev.fault:
            with lock:
                seen[0] += 1
                last = seen[0] == n
            if last:
                then(self)
        return msg

    fs.State.run_event = counted


def heartbeats(n, argv):
    """After the Nth answer, the next prediction takes for ever; streams wait with heartbeats."""
    if n == 0:
        argv += ["--service-ms", str(FOREVER_MS)]
        return

    def freeze(state):
        with state.cond:
            state.service_ms = FOREVER_MS

    after_n(n, freeze)


def refuse(n, argv, stats_file):
    def die(state):
        def later():
            time.sleep(0.3)  # the Nth answer reaches its stream first
            if stats_file:
                tmp = stats_file + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(state.stats_json(), f)
                os.replace(tmp, stats_file)
            os._exit(0)
        threading.Thread(target=later, daemon=True).start()

    if n == 0:
        print("refuse with N 0: nothing listens; use a closed port instead", file=sys.stderr)
        sys.exit(2)
    after_n(n, die)


def dead_from_start():
    init = fs.State.__init__

    def stopped(self, args):
        init(self, args)
        self.stopped = True

    fs.State.__init__ = stopped


def service_unavailable(n, argv):
    """fake_space's --stop-after, but new requests get 503 and open streams are cut."""
    def hold(self):
        self.close_connection = True
        self.send_html(503, "<!doctype html><html><body><h1>503</h1><p>Service Unavailable"
                       "</p></body></html>")

    wait_messages = fs.Handler.wait_messages

    def cut(self, sess, deadline_hb):
        msgs, idle, hung, stopped = wait_messages(self, sess, deadline_hb)
        if stopped and not msgs:  # the last answer goes out; then a frame that aborts
            msgs = [{"msg": "process_completed", "_fault": "drop_stream", "_variant": 0,
                     "success": False, "event_id": None}]
        return msgs, idle, hung, stopped

    fs.Handler.hold = hold
    fs.Handler.wait_messages = cut
    if n == 0:
        dead_from_start()
    else:
        argv += ["--stop-after", str(n)]


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in MODES:
        print(__doc__, file=sys.stderr)
        return 2
    mode, n, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    stats_file = take_option(argv, "--stats-file")
    if mode == "hang":
        if n == 0:
            dead_from_start()
        else:
            argv += ["--stop-after", str(n)]
    elif mode == "heartbeats":
        heartbeats(n, argv)
    elif mode == "refuse":
        refuse(n, argv, stats_file)
    else:
        service_unavailable(n, argv)
    return fs.main(argv)


if __name__ == "__main__":
    sys.exit(main())
