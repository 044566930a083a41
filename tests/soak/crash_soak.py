#!/usr/bin/env python3
"""Crash soak (issue #11): the W1 drip under repeated kill -9, checked at the receiver.

N customers enter the journey "webhook step1 -> wait 2s -> webhook step2" through /v1/batch
(1000 track events a request, as bench W1 does). While that runs, the real daemon is killed
with SIGKILL at random moments (seeded; the seed is printed) and restarted on the same data
folder, K times. Then the script waits (bounded) until every (customer, step) has reached the
local counting sink and checks what the sink recorded:

  lost                   (customer, step) pairs never delivered                    must be 0
  wrong-id duplicates    a pair delivered again under another webhook-id           must be 0
  duplicated-in-flight   a pair delivered again under the same webhook-id, by the
                         daemon started after a kill (a send done but not recorded
                         when the kill came)
  unexplained duplicates a same-id repeat from the same daemon process            must be 0
  duplicated             all repeats; at most kills x bound, where the bound per kill
                         is store.max_unrecorded_sends plus the webhook workers (each
                         may hold one finished send that is not yet counted); also
                         checked per kill (a repeat counts against the kill that came
                         after the delivery it repeats)

Prints one summary line and exits 0 when every check holds, 1 when one fails (not everything
delivered within --timeout counts as lost), 2 when the run could not be carried out (the daemon
did not start or exited by itself, /v1/batch refused a request).

Python 3 standard library only. Usage:
  tests/soak/crash_soak.py [--journeyd build/journeyd] [--customers 100000] [--kills 20] [--seed S]
"""
import argparse
import asyncio
import base64
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

JOURNEY_YAML = """\
# W1 "two-step drip" (the shape of bench W1), written by tests/soak/crash_soak.py.
journey: w1
name: W1 two-step drip under kill -9
category: transactional
trigger:
  event: W1 Enter
entry:
  reentry: never
steps:
  - send: step1
    channel: hook1
    template: w1/hook
  - wait: 2s
    id: wait-2s
  - send: step2
    channel: hook2
    template: w1/hook
"""

TEMPLATE_YAML = """\
description: W1 webhook body (journey w1, steps step1 and step2)
channel: webhook
default_locale: en
locales:
  en:
    body: '{"customer_id": {{ customer.user_id | json }}, "journey": "w1", "step": {{ journey.step | json }}}'
"""

WRITE_KEY = "soak-write-key"
ADMIN_KEY = "soak-admin-key"
STEPS = ("step1", "step2")
LISTENING = re.compile(rb"msg=listening addr=127\.0\.0\.1:(\d+)")


class RunError(Exception):
    """The run could not be carried out (as opposed to a failed check)."""


def customer_id(i):
    return "cust-%07d" % i


def log(text):
    print(text, flush=True)


# --- the counting sink --------------------------------------------------------------------------


class Sink:
    """HTTP/1.1 receiver on 127.0.0.1 (its own thread, asyncio) that answers 200 to every POST and
    records each delivery as (customer, step, webhook-id, generation). The generation is the number
    of the daemon process that opened the connection: the script raises it only after a killed
    daemon's connections have all closed, so a delivery's generation says which process sent it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries = []  # (customer, step, webhook_id, generation)
        self.pairs = set()  # distinct (customer, step) delivered
        self.malformed = 0
        self.open_connections = 0
        self.generation = 0
        self.last_delivery_at = 0.0
        self.port = 0
        self._loop = None
        self._server = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sink", daemon=True)

    def start(self):
        self._thread.start()
        if not self._ready.wait(10) or not self.port:
            raise RunError("the sink did not start")

    def stop(self):
        if self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def counts(self):
        with self.lock:
            return len(self.deliveries), len(self.pairs)

    def _run(self):
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            self._loop.create_server(lambda: _SinkConnection(self), "127.0.0.1", 0, backlog=512))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.close()

    def record(self, webhook_id, body, generation):
        try:
            doc = json.loads(body)
            customer, step = doc["customer_id"], doc["step"]
        except (ValueError, KeyError, TypeError):
            customer = None
        with self.lock:
            self.last_delivery_at = time.monotonic()
            if customer is None or not webhook_id:
                self.malformed += 1
                return
            self.deliveries.append((customer, step, webhook_id, generation))
            self.pairs.add((customer, step))


class _SinkConnection(asyncio.Protocol):
    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    def __init__(self, sink):
        self.sink = sink
        self.buf = b""
        self.transport = None
        self.generation = 0

    def connection_made(self, transport):
        self.transport = transport
        with self.sink.lock:
            self.sink.open_connections += 1
            self.generation = self.sink.generation

    def connection_lost(self, exc):
        with self.sink.lock:
            self.sink.open_connections -= 1

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4:end + 4 + length]
            self.buf = self.buf[end + 4 + length:]
            self.sink.record(headers.get("webhook-id", ""), body, self.generation)
            self.transport.write(self.RESPONSE)


# --- the daemon ---------------------------------------------------------------------------------


class Daemon:
    """The real journeyd, started on 127.0.0.1:0 in the run folder; reads its port from the log."""

    def __init__(self, binary, work, config):
        self.binary, self.work, self.config = binary, work, config
        self.proc = None
        self.port = 0
        self.starts = 0
        self.log_path = None

    def start(self, timeout_s=60):
        self.starts += 1
        self.log_path = os.path.join(self.work, "daemon-%d.log" % self.starts)
        with open(self.log_path, "wb") as log_file:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--config", self.config, "--listen", "127.0.0.1:0"],
                cwd=self.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                m = LISTENING.search(f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RunError("journeyd exited with status %s at start %d; see %s"
                               % (self.proc.returncode, self.starts, self.log_path))
            time.sleep(0.01)
        raise RunError("journeyd did not listen within %d s (start %d); see %s"
                       % (timeout_s, self.starts, self.log_path))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout_s=30):
        """SIGTERM and wait (bounded), then SIGKILL; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
            return None


# --- entering the customers ---------------------------------------------------------------------


class Enqueuer:
    """Enters the customers through POST /v1/batch, 1000 track events a request, one request at a
    time, on its own thread. A request that fails (the daemon was killed or is restarting) is sent
    again to the current daemon until it answers 200; the events' messageIds make that safe."""

    def __init__(self, daemon, customers, chunk, deadline):
        self.daemon = daemon
        self.deadline = deadline
        self.bodies = []  # (request body, customers in it)
        for start in range(0, customers, chunk):
            batch = [{"type": "track", "userId": customer_id(i), "event": "W1 Enter",
                      "messageId": "w1-enter-" + customer_id(i)}
                     for i in range(start, min(customers, start + chunk))]
            self.bodies.append((json.dumps({"batch": batch}).encode(), len(batch)))
        self.acked = 0  # requests answered 200
        self.entered = 0  # customers in those requests
        self.retries = 0
        self.error = None
        self.done = threading.Event()
        self._auth = "Basic " + base64.b64encode((WRITE_KEY + ":").encode()).decode()
        self._thread = threading.Thread(target=self._run, name="enqueuer", daemon=True)

    def start(self):
        self._thread.start()

    def _run(self):
        conn, conn_port = None, 0
        try:
            for body, count in self.bodies:
                while True:
                    if time.monotonic() > self.deadline:
                        raise RunError("entering the customers took past the deadline")
                    port = self.daemon.port
                    try:
                        if conn is None or conn_port != port:
                            if conn:
                                conn.close()
                            conn, conn_port = http.client.HTTPConnection("127.0.0.1", port, timeout=60), port
                        conn.request("POST", "/v1/batch", body,
                                     {"Content-Type": "application/json", "Authorization": self._auth})
                        resp = conn.getresponse()
                        text = resp.read()
                        if resp.status == 200:
                            break
                        if resp.status < 500 and resp.status != 429:
                            raise RunError("/v1/batch answered %d: %s" % (resp.status, text[:300]))
                    except (OSError, http.client.HTTPException):
                        if conn:
                            conn.close()
                        conn = None
                    self.retries += 1
                    time.sleep(0.05)
                self.acked += 1
                self.entered += count
        except RunError as e:
            self.error = str(e)
        finally:
            if conn:
                conn.close()
            self.done.set()


# --- the run ------------------------------------------------------------------------------------


def write_files(work, sink_port, max_unrecorded, concurrency):
    os.makedirs(os.path.join(work, "journeys"))
    os.makedirs(os.path.join(work, "templates", "w1"))
    os.makedirs(os.path.join(work, "data"))
    with open(os.path.join(work, "journeys", "w1.yaml"), "w") as f:
        f.write(JOURNEY_YAML)
    with open(os.path.join(work, "templates", "w1", "hook.yaml"), "w") as f:
        f.write(TEMPLATE_YAML)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    channels = "".join(
        "  hook%d:\n    connector: webhook\n    url: \"http://127.0.0.1:%d/%s\"\n"
        "    secret: \"%s\"\n    concurrency: %d\n" % (n, sink_port, step, secret, concurrency)
        for n, step in enumerate(STEPS, 1))
    config = os.path.join(work, "journeyd.yaml")
    with open(config, "w") as f:
        f.write("http:\n  listen: 127.0.0.1:0\n"
                "keys:\n  write: [%s]\n  admin: [%s]\n"
                "store:\n  data_dir: %s\n  synchronous: normal\n  max_unrecorded_sends: %d\n"
                "log:\n  level: info\n"
                "policy:\n  timezone: UTC\n  holdout_percent: 0\n  caps: []\n"
                "journeys: %s\ntemplates: %s\nchannels:\n%s"
                % (WRITE_KEY, ADMIN_KEY, os.path.join(work, "data"), max_unrecorded,
                   os.path.join(work, "journeys"), os.path.join(work, "templates"), channels))
    return config


def wait_for_closed_connections(sink, timeout_s=10):
    """After a kill: until the dead daemon's connections to the sink are all closed (bounded)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sink.lock:
            if sink.open_connections == 0:
                break
        time.sleep(0.01)
    else:
        log("warning: %d sink connections still open %g s after the kill; their deliveries count "
            "as the next daemon's" % (sink.open_connections, timeout_s))
    time.sleep(0.05)  # a connection still in the listen backlog is accepted by now


def analyse(sink, customers):
    """Returns (lost, duplicated, same_id, wrong_id, unexplained, repeats_per_kill)."""
    by_pair = {}
    with sink.lock:
        for customer, step, webhook_id, gen in sink.deliveries:
            by_pair.setdefault((customer, step), []).append((webhook_id, gen))
    expected = {(customer_id(i), step) for i in range(customers) for step in STEPS}
    lost = len(expected - by_pair.keys())
    duplicated = same_id = wrong_id = unexplained = 0
    repeats_per_kill = {}  # generation killed -> same-id repeats it caused
    for pair, got in by_pair.items():
        if pair not in expected:
            wrong_id += len(got)  # a delivery for no customer of this run
            continue
        first_id = got[0][0]
        last_gen = {}
        for webhook_id, gen in got:
            if webhook_id in last_gen:
                duplicated += 1
                if gen > last_gen[webhook_id]:
                    same_id += 1
                    repeats_per_kill[last_gen[webhook_id]] = repeats_per_kill.get(last_gen[webhook_id], 0) + 1
                else:
                    unexplained += 1
            elif webhook_id != first_id:
                duplicated += 1
                wrong_id += 1
            last_gen[webhook_id] = gen
    return lost, duplicated, same_id, wrong_id, unexplained, repeats_per_kill


def outbox_counts(work):
    """Rows of the daemon's outbox by status (read after it stopped), for the record."""
    try:
        import sqlite3  # in the standard library, but a Python built without it can still run the soak
    except ImportError:
        return {"unknown": "no sqlite3 module"}
    try:
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(work, "data", "journeyd.db"), uri=True)
        try:
            return dict(db.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
        finally:
            db.close()
    except sqlite3.Error as e:
        return {"error": str(e)}


def parse_range(text):
    lo, _, hi = text.partition(":")
    lo, hi = float(lo), float(hi or lo)
    if not 0 <= lo <= hi:
        raise argparse.ArgumentTypeError("expected MIN:MAX seconds with 0 <= MIN <= MAX")
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--journeyd", default="build/journeyd", help="daemon binary (default build/journeyd)")
    ap.add_argument("--customers", type=int, default=100000, help="customers entering W1 (default 100000)")
    ap.add_argument("--kills", type=int, default=20, help="kill -9 and restart this many times (default 20)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the kill moments (default: random, printed)")
    ap.add_argument("--kill-after", type=parse_range, default=(0.3, 4.0), metavar="MIN:MAX",
                    help="a daemon is killed after a uniform random MIN..MAX s of running (default 0.3:4)")
    ap.add_argument("--max-unrecorded", type=int, default=256,
                    help="store.max_unrecorded_sends in the written config (default 256, the daemon's)")
    ap.add_argument("--concurrency", type=int, default=16, help="workers per webhook channel (default 16, as W1)")
    ap.add_argument("--chunk", type=int, default=1000, help="track events per /v1/batch request (default 1000)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds to wait for every delivery after the last restart (default 600)")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (it is kept anyway on failure)")
    args = ap.parse_args()
    if args.customers < 1 or args.kills < 0 or args.max_unrecorded < 1 or args.concurrency < 1 or args.chunk < 1:
        ap.error("--customers, --max-unrecorded, --concurrency and --chunk must be >= 1, --kills >= 0")
    binary = os.path.abspath(args.journeyd)
    if not os.access(binary, os.X_OK):
        print("crash_soak: no executable journeyd at %s" % binary, file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    workers = args.concurrency * len(STEPS)
    bound = args.max_unrecorded + workers
    log("crash soak: %d customers, %d kills, seed %d, store.max_unrecorded_sends %d + %d webhook workers "
        "= at most %d repeats per kill" % (args.customers, args.kills, seed, args.max_unrecorded, workers, bound))

    work = tempfile.mkdtemp(prefix="journeyd-soak-")
    sink = Sink()
    daemon = None
    status = 2
    try:
        sink.start()
        config = write_files(work, sink.port, args.max_unrecorded, args.concurrency)
        daemon = Daemon(binary, work, config)
        t0 = time.monotonic()
        daemon.start()
        enqueuer = Enqueuer(daemon, args.customers, args.chunk,
                            deadline=t0 + args.timeout + args.kills * (args.kill_after[1] + 60))
        enqueuer.start()
        want = args.customers * len(STEPS)
        kills_during_work = 0
        for k in range(1, args.kills + 1):
            uptime = rng.uniform(*args.kill_after)
            started = time.monotonic()
            while time.monotonic() - started < uptime:
                if not daemon.alive():
                    raise RunError("journeyd exited by itself (status %s); see %s"
                                   % (daemon.proc.returncode, daemon.log_path))
                time.sleep(min(0.01, max(0.0, uptime - (time.monotonic() - started))))
            daemon.kill9()
            delivered, pairs = sink.counts()
            busy = pairs < want
            kills_during_work += busy
            log("kill %d/%d after %.2f s: %d/%d customers entered, %d/%d (customer, step) delivered%s"
                % (k, args.kills, uptime, enqueuer.entered, args.customers, pairs, want,
                   "" if busy else " (all delivered already)"))
            wait_for_closed_connections(sink)
            with sink.lock:
                sink.generation = k
            daemon.start()

        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if enqueuer.error:
                raise RunError(enqueuer.error)
            if not daemon.alive():
                raise RunError("journeyd exited by itself (status %s); see %s"
                               % (daemon.proc.returncode, daemon.log_path))
            if enqueuer.done.is_set() and sink.counts()[1] >= want:
                break
            time.sleep(0.1)
        finished = time.monotonic()
        timed_out = sink.counts()[1] < want
        if timed_out:
            log("timeout: not everything delivered %g s after the last restart" % args.timeout)
        # Late repeats still count: wait until the sink has been quiet for 1 s (at most 10 s).
        quiet_deadline = time.monotonic() + 10
        while time.monotonic() < quiet_deadline:
            with sink.lock:
                quiet = time.monotonic() - sink.last_delivery_at
            if quiet >= 1.0:
                break
            time.sleep(0.1)
        stop_status = daemon.stop()
        wall = finished - t0

        lost, duplicated, same_id, wrong_id, unexplained, per_kill = analyse(sink, args.customers)
        outbox = outbox_counts(work)
        log("daemon starts %d, /v1/batch retries %d, kills while work remained %d, deliveries %d, "
            "most repeats after one kill %d, malformed deliveries %d, outbox rows by status %s, "
            "exit status at SIGTERM %s"
            % (daemon.starts, enqueuer.retries, kills_during_work, len(sink.deliveries),
               max(per_kill.values(), default=0), sink.malformed, json.dumps(outbox, sort_keys=True),
               stop_status))
        failures = []
        if timed_out:
            failures.append("timeout")
        if lost:
            failures.append("lost")
        if wrong_id:
            failures.append("wrong-id duplicates")
        if unexplained:
            failures.append("same-id duplicates without a kill between")
        if duplicated > args.kills * bound:
            failures.append("duplicates over kills x bound")
        if max(per_kill.values(), default=0) > bound:
            failures.append("repeats after one kill over the bound")
        if sink.malformed:
            failures.append("malformed deliveries")
        if enqueuer.error or not enqueuer.done.is_set():
            failures.append("entry incomplete")
        status = 1 if failures else 0
        log("soak summary: customers=%d kills=%d lost=%d duplicated=%d duplicated-in-flight=%d "
            "wrong-id-duplicates=%d unexplained-duplicates=%d bound=%dx%d=%d kills-during-work=%d wall=%.1fs "
            "seed=%d %s"
            % (args.customers, args.kills, lost, duplicated, same_id, wrong_id, unexplained,
               args.kills, bound, args.kills * bound, kills_during_work, wall, seed,
               "PASS" if not failures else "FAIL (" + ", ".join(failures) + ")"))
    except RunError as e:
        log("crash soak could not run: %s" % e)
        status = 2
    finally:
        if daemon is not None and daemon.alive():
            daemon.stop()
        sink.stop()
        if status == 0 and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("run folder kept: %s" % work)
    return status


if __name__ == "__main__":
    sys.exit(main())
