#!/usr/bin/env python3
"""Replays hostile requests against a release build and prints, for each, the answer, the
time it took and the server's peak memory while it ran. Not a test: figures for the notes.

    python3 benches/hostile.py                 # SQLite, bundled reference data + demo data
    python3 benches/hostile.py --postgres      # also PostgreSQL, with a store outage

Peak memory is the server's VmHWM, reset before each request (`/proc/PID/clear_refs`), so
each line shows the high-water mark of that request alone. Standard library only.
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "mobility-explorer")


def fragment_doubling(levels):
    text = f"query {{ ...F{levels} }} fragment F0 on Query {{ __typename }}"
    for n in range(1, levels + 1):
        text += f" fragment F{n} on Query {{ ...F{n - 1} ...F{n - 1} }}"
    return text


STANDARD_INTROSPECTION = open(
    os.path.join(ROOT, "tests", "api", "hostile.rs"), encoding="utf-8"
).read().split('pub const STANDARD_INTROSPECTION: &str = r#"', 1)[1].split('"#;', 1)[0]

def sections(path):
    """The `# name:` sections of a .graphql file, by name."""
    found, name = {}, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("# name:"):
            name = line[len("# name:"):].strip()
            found[name] = ""
        elif name is not None:
            found[name] += line
    return found


# The heaviest questions the default limits accept (how they were found: the issue note and
# the file's own comments); tests/api/hostile.rs checks each is still accepted.
WORST = sections(os.path.join(ROOT, "benches", "queries", "worst-accepted.graphql"))

HOSTILE = {
    "nested Area.indicators x3 (UK)": '{ area(code: "K02000001") { indicators { area { indicators { area { indicators { value } } } } } } }',
    "fragment doubling, 22 levels": fragment_doubling(22),
    "fragment doubling, 24 levels": fragment_doubling(24),
    "6,000 tokens": "{ " + "__typename " * 6000 + "}",
    "40,000 area codes": "{ workforce(filter: { areas: ["
    + ",".join(f'"E{i:08}"' for i in range(40000))
    + "] }) { headcount } }",
    "100,000 grade levels": "{ workforce(filter: { gradeLevels: ["
    + ",".join(str(i) for i in range(100000))
    + "] }) { headcount } }",
    "NUL in an argument": '{ areas(nameContains: "Lon\\u0000don") { totalCount } }',
    "900 KB field name": "{ " + "x" * 900_000 + " }",
    "introspection bomb": "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
    "standard introspection": STANDARD_INTROSPECTION,
}


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def reset_peak(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def post(port, query, timeout=60):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    elapsed = time.monotonic() - started
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {}
    errors = answer.get("errors") or []
    code = errors[0].get("extensions", {}).get("code", "?") if errors else "ok"
    return status, code, len(raw), elapsed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url, port, extra_env=None):
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "BIND": f"127.0.0.1:{port}",
            "DEMO_DATA": "true",
            "RUST_LOG": "warn",
            # Every attack comes from one address: without this the per-client limit would
            # answer them all with 429 before the defences under test are reached.
            "RATE_LIMIT_PER_MINUTE": "0",
        }
    )
    env.update(extra_env or {})
    server = subprocess.Popen([BINARY, "serve"], env=env, stdout=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, OSError):
            if server.poll() is not None:
                sys.exit("the server stopped while starting")
            time.sleep(0.25)
    sys.exit("the server did not become ready")


def replay(label, port, pid, queries):
    print(f"\n## {label}\n")
    print(f"| request | HTTP | code | bytes | time (s) | peak RSS (MB) |")
    print(f"|---|---|---|---|---|---|")
    for name, query in queries.items():
        reset_peak(pid)
        status, code, size, elapsed = post(port, query)
        after = post(port, "{ __typename }")
        assert after[0] == 200, f"the server stopped answering after {name}"
        print(f"| {name} | {status} | {code} | {size:,} | {elapsed:.3f} | {peak_kb(pid) / 1024:.0f} |")


class Relay:
    """A TCP relay to PostgreSQL that can be cut (refusing and closing connections)."""

    def __init__(self, target):
        self.target = target
        self.up = True
        self.sockets = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def down(self):
        self.up = False
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []


@contextlib.contextmanager
def postgres_database(admin_url, suffix):
    """A database of its own on the PostgreSQL server, dropped afterwards; yields its name."""
    name = f"mx_hostile_{suffix}_{os.getpid()}"
    subprocess.run(["psql", admin_url, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield name
    finally:
        subprocess.run(
            ["psql", admin_url, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False,
        )


@contextlib.contextmanager
def running(database_url):
    """A server on `database_url`; yields (port, pid) and stops it afterwards."""
    port = free_port()
    server = start_server(database_url, port)
    try:
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


def replay_store(label, database_url):
    with running(database_url) as (port, pid):
        replay(f"{label}: hostile requests", port, pid, HOSTILE)
        replay(f"{label}: the most expensive accepted queries", port, pid, WORST)


def outage(admin_url):
    relay = Relay(("127.0.0.1", 5432))
    with postgres_database(admin_url, "outage") as name, running(
        f"postgres://postgres@127.0.0.1:{relay.port}/{name}"
    ) as (port, _):
        print("\n## PostgreSQL outage (store behind a relay that is cut, then restored)\n")
        print("| step | HTTP | code | time (s) |")
        print("|---|---|---|---|")
        query = '{ area(code: "E12000007") { name } }'
        status, code, _, elapsed = post(port, query)
        print(f"| store up | {status} | {code} | {elapsed:.3f} |")
        relay.down()
        for i in range(3):
            status, code, _, elapsed = post(port, query)
            print(f"| store down, request {i + 1} | {status} | {code} | {elapsed:.3f} |")
        started = time.monotonic()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10)
            ready = 200
        except urllib.error.HTTPError as e:
            ready = e.code
        print(f"| store down, /readyz | {ready} | | {time.monotonic() - started:.3f} |")
        relay.up = True
        started = time.monotonic()
        while post(port, query)[0] != 200:
            time.sleep(0.05)
        print(f"| store back: first answer after | 200 | ok | {time.monotonic() - started:.3f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        replay_store("SQLite", f"sqlite://{tmp}/explorer.db?mode=rwc")
    if args.postgres:
        base = args.postgres_url.rsplit("/", 1)[0]
        with postgres_database(args.postgres_url, "pg") as name:
            replay_store("PostgreSQL", f"{base}/{name}")
        outage(args.postgres_url)


if __name__ == "__main__":
    main()
