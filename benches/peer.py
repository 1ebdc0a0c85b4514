#!/usr/bin/env python3
"""Runs the release build side by side with a real peer, PostGraphile with the pg-aggregates
plugin, on the same synthetic staff records, and prints throughput and latency under load.
Not a test: figures for the notes.

    python3 benches/peer.py                                  # PostgreSQL, 1,000,000 records
    python3 benches/peer.py --store both --records 1000000 10000000
    python3 benches/peer.py --records 100000 --duration 3 --connections 1 16 --rounds 1

For each store and size it generates the records (`demo-data`), imports them into a fresh
database (time, rows/s, the import's peak memory), starts our server (start-up time, memory)
and, on PostgreSQL, the peer on a table built from ours. It checks that both count the same
people before disclosure control (a second instance of ours with a zero-noise ptable and a
threshold of 1, against the peer's grouped counts; on SQLite, against plain SQL), then drives
the same questions through both with `wrk`, alternating their runs.

Needs `wrk` (installed with apt-get when missing and run as root), `psql`, and on PostgreSQL
Node.js and npm (the peer is installed into a temporary folder, or `--peer-dir`). Exits 1 when
the counts differ. Servers are stopped, the database dropped and temporary files removed at
the end, also on failure and Ctrl-C. Standard library only.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The data is synthetic: this key only pseudonymises invented person references.
PERSON_KEY = "benchmark key, not a secret: the data is synthetic"
PEER_PACKAGES = ["postgraphile@4.14", "@graphile/pg-aggregates@0.1"]
EMPLOYER = "DEMO-JUS"
FLOOR = "floor: { __typename }"
UNKNOWN = "UNKNOWN"  # the peer's SEB group for answers without one (see build_peer_table)
WRK_TIMEOUT = "30s"  # as our REQUEST_TIMEOUT_SECS: a slower answer counts as an error


# ---------------------------------------------------------------------------------------------
# The questions
# ---------------------------------------------------------------------------------------------


def rust_queries(path):
    """The `("name", r#"query"#)` pairs of a Rust source file, by name, whitespace folded."""
    text = open(path, encoding="utf-8").read()
    pairs = re.findall(r'\(\s*"([^"]+)",\s*r#"(.*?)"#,?\s*\)', text, re.DOTALL)
    return {name: " ".join(query.split()) for name, query in pairs}


def seb_groups(path):
    """Parental occupation answer codes by background group, as src/domain/seb.rs maps them
    (codes without a group are left out)."""
    text = open(path, encoding="utf-8").read()
    block = text.split("const PARENTAL_OCCUPATION", 1)[1].split("];", 1)[0]
    groups = {}
    for code, group in re.findall(r'\("(\w+)",\s*Some\((\w+)\)\)', block):
        groups.setdefault(group, []).append(code)
    if sorted(groups) != ["INTERMEDIATE", "LOWER", "PROFESSIONAL"]:
        sys.exit(f"unexpected parental occupation groups in {path}: {sorted(groups)}")
    return groups


API_QUERIES = rust_queries(os.path.join(ROOT, "benches", "api.rs"))
SEB_GROUPS = seb_groups(os.path.join(ROOT, "src", "domain", "seb.rs"))


def api_query(name):
    """The query of benches/api.rs with this name: the question `cargo bench` times."""
    if name not in API_QUERIES:
        sys.exit(f"benches/api.rs has no query named {name!r}")
    return API_QUERIES[name]


def questions(latest_year):
    """Each question: its label, our query (from benches/api.rs) and the peer's equivalent
    (None: ours only).

    The peer counts rows with `sum { headcount }` over a column of ones: pg-aggregates 0.1 has
    no count per group. Our answers also carry shares, benchmark shares and disclosure control,
    which the peer leaves to its client.
    """
    grouped = "groupedAggregates(groupBy: [{}, SEB_GROUP]) {{ keys sum {{ headcount }} }}"
    one_employer = f'employerCode: "{EMPLOYER}", year: {latest_year}'
    return [
        (FLOOR, "{ __typename }", "{ __typename }"),
        (
            "by GRADE_LEVEL, one employer-year",
            api_query("distribution by GRADE_LEVEL, one employer-year"),
            f"{{ allStaff(condition: {{ {one_employer} }}) {{"
            f" totalCount {grouped.format('GRADE_LEVEL')} }} }}",
        ),
        (
            "by REGION, all employers, latest year",
            api_query("distribution by REGION, all employers, latest year"),
            f"{{ allStaff(condition: {{ year: {latest_year} }}) {{"
            f" {grouped.format('WORK_REGION')} }} }}",
        ),
        (
            "by REGION x YEAR, all employers, all years",
            api_query("distribution by REGION, all employers, all 5 years"),
            f"{{ allStaff {{ {grouped.format('WORK_REGION, YEAR')} }} }}",
        ),
        (
            "socialMobilityIndex map, every authority",
            api_query("map: every authority with name, classification and its 8 indicator values"),
            None,
        ),
    ]


def check_query(latest_year):
    """Our distribution by grade level of one employer-year, counts only."""
    return (
        f'{{ workforce(filter: {{ employers: ["{EMPLOYER}"], years: [{latest_year}] }}) {{'
        " headcount distribution(by: [GRADE_LEVEL]) {"
        " key { gradeLevel } headcount respondents categories { category count } } } }"
    )


# ---------------------------------------------------------------------------------------------
# Processes, ports and HTTP
# ---------------------------------------------------------------------------------------------


def free_port():
    """A TCP port on the loopback that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, query, timeout=120):
    """POSTs a GraphQL query; returns (HTTP status, decoded answer or {})."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, {}


def answered(port, query):
    """The `data` of a query, or exit with its errors: nothing broken is ever timed."""
    status, answer = post(port, query)
    if status != 200 or answer.get("errors") or not answer.get("data"):
        sys.exit(f"query failed (HTTP {status}): {json.dumps(answer)[:600]}\n  {query}")
    return answer["data"]


def has_rows(data):
    """Whether an answer found something: one of its lists is not empty or, when it has no
    lists (`{ __typename }`), it is not empty."""
    lists, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            lists.append(item)
            stack += item
        elif isinstance(item, dict):
            stack += item.values()
    return any(lists) if lists else bool(data)


def memory_kb(pid, field):
    """A process's VmRSS or VmHWM in KB, from /proc (0 when it is gone)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def tree_memory_kb(pid, field):
    """VmRSS or VmHWM summed over a process and its descendants (the peer's workers); shared
    pages count once per process."""
    pids = [pid]
    for parent in pids:
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    pids += [int(p) for p in f.read().split()]
    return sum(memory_kb(p, field) for p in pids)


def run_measured(command, env):
    """Runs a command to its end; returns (seconds, peak RSS in KB of that process alone).

    `os.wait4` gives the rusage of this one child, where RUSAGE_CHILDREN would give the largest
    of every child waited for so far. The output goes to a file, shown when the command fails.
    """
    with tempfile.TemporaryFile() as out:
        begun = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C: leave no import running
            process.kill()
            process.wait()
            raise
        elapsed = time.monotonic() - begun
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            out.seek(0)
            output = out.read().decode(errors="replace")[-3000:]
            sys.exit(f"`{' '.join(command[1:3])}` failed (exit {process.returncode}):\n{output}")
    return elapsed, usage.ru_maxrss


@contextlib.contextmanager
def started(command, env, ready, what, log):
    """A long-running process in a session of its own, its output in `log`. Yields
    (process, start-up seconds) once `ready()` holds; stops the whole session (the process
    and any workers it forked) afterwards."""
    begun = time.monotonic()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        while not ready():
            if process.poll() is not None:
                sys.exit(f"{what} stopped while starting; its log:\n{tail(log)}")
            if time.monotonic() - begun > 600:
                sys.exit(f"{what} did not become ready in 10 minutes; its log:\n{tail(log)}")
            time.sleep(0.1)
        yield process, time.monotonic() - begun
    finally:
        stop(process)


def stop(process):
    """SIGTERM to a process's session, SIGKILL if it is still there after 35 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=35)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def tail(path, lines=30):
    """The last lines of a log file."""
    with contextlib.suppress(OSError), open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])
    return ""


def http_ready(url):
    """A check that `url` answers 200."""

    def check():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:  # refused, reset, or an HTTP error status
            return False

    return check


def graphql_ready(port):
    """A check that a GraphQL endpoint answers `{ __typename }`."""

    def check():
        try:
            return post(port, "{ __typename }", timeout=2)[0] == 200
        except OSError:
            return False

    return check


# ---------------------------------------------------------------------------------------------
# Tools: the binary, wrk, the peer
# ---------------------------------------------------------------------------------------------


def build_binary():
    """Builds this repository's release binary (CARGO_TARGET_DIR respected); returns its path."""
    print("Building the release binary...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    target = json.loads(metadata.stdout)["target_directory"]
    return os.path.join(target, "release", "mobility-explorer")


def ensure_wrk():
    """The path of `wrk`, installed from the distribution's packages when missing and root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("wrk is not installed: install it (Debian, Ubuntu: sudo apt-get install -y wrk)")
    print("Installing wrk (apt-get install -y wrk)...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True, **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, **quiet)
    return shutil.which("wrk") or sys.exit("wrk is still missing after apt-get install")


def install_peer(folder):
    """PostGraphile and pg-aggregates, installed with npm into `folder` unless already there;
    returns the path of the `postgraphile` command."""
    cli = os.path.join(folder, "node_modules", ".bin", "postgraphile")
    if os.path.exists(cli):
        return cli
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            sys.exit(f"the peer needs Node.js and npm: `{tool}` is missing (or use --no-peer)")
    print(f"Installing the peer: npm install {' '.join(PEER_PACKAGES)}...", flush=True)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "package.json"), "w") as f:
        json.dump({"name": "peer-bench", "private": True}, f)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PEER_PACKAGES],
        cwd=folder, check=True, stdout=subprocess.DEVNULL,
    )
    return cli


def peer_versions(folder):
    """The installed versions of the peer's packages, for the report."""
    versions = {}
    for package in ("postgraphile", "@graphile/pg-aggregates"):
        with contextlib.suppress(OSError, ValueError, KeyError):
            path = os.path.join(folder, "node_modules", package, "package.json")
            versions[package] = json.load(open(path))["version"]
    return versions


# ---------------------------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------------------------


def psql(url, sql):
    """Runs SQL with psql, stopping at the first error; returns its unaligned output."""
    result = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtX", "-c", sql],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        sys.exit(f"psql failed: {result.stderr.strip()}\n  {sql[:300]}")
    return result.stdout.strip()


@contextlib.contextmanager
def postgres_database(admin_url):
    """A fresh database `mx_bench_<random>` on the server of `admin_url`; yields its URL and
    drops it afterwards."""
    name = f"mx_bench_{secrets.token_hex(4)}"
    psql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        subprocess.run(
            ["psql", admin_url, "-qX", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False, stdout=subprocess.DEVNULL,
        )


def seb_case(column):
    """SQL mapping a parental occupation code to its background group, UNKNOWN when the code
    has none (other, prefer not to say, no answer)."""
    whens = " ".join(
        f"WHEN {column} IN ({', '.join(repr(code) for code in codes)}) THEN '{group}'"
        for group, codes in sorted(SEB_GROUPS.items())
    )
    return f"CASE {whens} ELSE '{UNKNOWN}' END"


def build_peer_table(url):
    """The peer's table `peer.staff`, built from our staff records: one row per person and
    snapshot with the employer code, year, grade level, region, joined flag, the SEB group
    precomputed and a column of ones to count with; indexed for its group-bys, vacuumed (so
    index-only scans work) and analysed.

    The SEB group is UNKNOWN rather than NULL: pg-aggregates returns group keys as a list of
    non-null strings, and a NULL key fails the whole answer.
    """
    psql(url, "DROP SCHEMA IF EXISTS peer CASCADE; CREATE SCHEMA peer")
    psql(
        url,
        f"""CREATE TABLE peer.staff AS
        SELECT e.code AS employer_code, s.year, s.grade_level, s.work_region,
               coalesce(s.joined_year = s.year, false) AS joined,
               {seb_case("s.parental_occupation")} AS seb_group,
               1 AS headcount
        FROM public.staff_record s JOIN public.employer e ON e.id = s.employer_id""",
    )
    columns = ["employer_code", "year", "grade_level", "work_region", "joined", "seb_group"]
    psql(url, "ALTER TABLE peer.staff " + ", ".join(
        f"ALTER COLUMN {column} SET NOT NULL" for column in columns + ["headcount"]
    ))
    # Covering indexes, one per question's filter and grouping.
    for name, key in (
        ("staff_employer_year_grade", "employer_code, year, grade_level, seb_group"),
        ("staff_year_region", "year, work_region, seb_group"),
        ("staff_region_year", "work_region, year, seb_group"),
    ):
        psql(url, f"CREATE INDEX {name} ON peer.staff ({key}) INCLUDE (headcount)")
    psql(url, "VACUUM (ANALYZE) peer.staff")


def sqlite_file(url):
    """The file of a `sqlite://PATH?...` URL."""
    return url.split("://", 1)[1].split("?", 1)[0]


def latest_year(store, url):
    """The latest year of the staff records."""
    sql = "SELECT max(year) FROM staff_record"
    if store == "postgres":
        return int(psql(url, sql))
    with contextlib.closing(sqlite3.connect(sqlite_file(url))) as db:
        return db.execute(sql).fetchone()[0]


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def base_env(database_url):
    """The environment of our commands on one store."""
    return dict(os.environ, DATABASE_URL=database_url, PERSON_KEY=PERSON_KEY, RUST_LOG="warn")


def load_data(binary, database_url, records, tmp):
    """Generates `records` staff records and imports them; returns the import's figures.

    The store is migrated and given its reference data first (`load-reference`), so the time
    is the import's own. The demo indicators are loaded after it, for the index question.
    """
    env = base_env(database_url)
    staff = os.path.join(tmp, "staff.csv")
    print(f"  generating {records:,} staff records...", flush=True)
    generate = ["demo-data", "--kind", "workforce", "--records", str(records), "--out", staff]
    run_measured([binary, *generate], env)
    run_measured([binary, "load-reference"], env)
    print("  importing them...", flush=True)
    seconds, peak_kb = run_measured([binary, "import", "workforce", "--new-employers", staff], env)
    figures = {
        "csv_mb": os.path.getsize(staff) / 1e6,
        "import_s": seconds,
        "rows_per_s": records / seconds,
        "import_peak_rss_mb": peak_kb / 1024,
    }
    os.remove(staff)
    indicators = os.path.join(tmp, "indicators")
    try:
        run_measured([binary, "demo-data", "--kind", "indicators", "--out", indicators], env)
        values = os.path.join(indicators, "values.csv")
        run_measured([binary, "import", "indicators", values], env)
        figures["indicators"] = True
    except SystemExit as e:
        print(f"  note: no demo indicators, so no index question: {e}")
        figures["indicators"] = False
    return figures


def zero_ptable(path):
    """A perturbation table that adds no noise: every pcv 1-750 and ckey 0-255, pvalue 0."""
    with open(path, "w") as f:
        f.write("pcv,ckey,pvalue\n")
        for pcv in range(1, 751):
            f.writelines(f"{pcv},{ckey},0\n" for ckey in range(256))


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------


def ours(binary, database_url, tmp, connections, settings=None, label="ours"):
    """Our server on `database_url`, demo data off, room for `connections` at once; returns
    (port, the server's context manager). `settings` adds or overrides environment settings."""
    port = free_port()
    env = dict(
        base_env(database_url),
        BIND=f"127.0.0.1:{port}",
        DEMO_DATA="false",
        MAX_CONCURRENT_REQUESTS=str(max(64, 2 * connections)),
        # The load generator is one client at one address: the per-client limit would
        # measure itself, not the server.
        RATE_LIMIT_PER_MINUTE="0",
        **(settings or {}),
    )
    ready = http_ready(f"http://127.0.0.1:{port}/readyz")
    log = os.path.join(tmp, f"{label}.log")
    return port, started([binary, "serve"], env, ready, label, log)


def peer(cli, database_url, tmp, workers):
    """PostGraphile on the schema `peer` with pg-aggregates, in production mode, without
    mutations, GraphiQL or the query log, with `workers` worker processes; returns (port, the
    server's context manager)."""
    port = free_port()
    command = [
        cli, "-c", database_url, "-s", "peer",
        "--append-plugins", "@graphile/pg-aggregates",
        "-n", "127.0.0.1", "-p", str(port),
        "--disable-query-log", "--disable-default-mutations", "--disable-graphiql",
    ]
    if workers > 1:
        command += ["--cluster-workers", str(workers)]
    env = dict(os.environ, NODE_ENV="production")
    log = os.path.join(tmp, "peer.log")
    return port, started(command, env, graphql_ready(port), "the peer", log)


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- POSTs the JSON body in the file $WRK_BODY, accepting gzip as browsers do; prints the
-- figures as one JSON line at the end.
local file = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = "gzip"
wrk.body = file:read("*a")
file:close()

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


class Load:
    """wrk runs of a fixed duration and thread count, with the Lua script above."""

    def __init__(self, wrk, tmp, duration, threads):
        self.wrk, self.tmp, self.duration, self.threads = wrk, tmp, duration, threads
        self.lua = os.path.join(tmp, "post.lua")
        with open(self.lua, "w") as f:
            f.write(WRK_SCRIPT)

    def run(self, port, query, connections):
        """One run of a query; returns req/s, latency percentiles (ms) and error counts."""
        body = os.path.join(self.tmp, "body.json")
        with open(body, "w") as f:
            json.dump({"query": query}, f)
        command = [
            self.wrk, "-t", str(min(self.threads, connections)), "-c", str(connections),
            "-d", f"{self.duration}s", "--timeout", WRK_TIMEOUT, "-s", self.lua,
            f"http://127.0.0.1:{port}/graphql",
        ]
        env = dict(os.environ, WRK_BODY=body)
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        line = next((l for l in result.stdout.splitlines() if l.startswith("WRK_RESULT ")), None)
        if line is None:
            sys.exit(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
        r = json.loads(line.split(" ", 1)[1])
        # No answer within the run (each slower than the run is long): no latency to give.
        ms = lambda key: r[key] / 1000 if r["requests"] else None  # noqa: E731
        return {
            "rps": r["requests"] / (r["duration_us"] / 1e6),
            "requests": r["requests"],
            "p50_ms": ms("p50_us"),
            "p95_ms": ms("p95_us"),
            "p99_ms": ms("p99_us"),
            "max_ms": ms("max_us"),
            "non_2xx": r["status"],
            "socket_errors": r["connect"] + r["read"] + r["write"] + r["timeout"],
        }


def combine(runs):
    """The rounds of one question at one connection count: mean req/s and mean percentiles
    (of the rounds that had answers), errors summed, the rounds themselves kept for the JSON;
    None when there are no rounds."""
    if not runs:
        return None

    def mean(key):
        values = [run[key] for run in runs if run[key] is not None]
        return statistics.fmean(values) if values else None

    return {
        "rps": mean("rps"),
        "p50_ms": mean("p50_ms"),
        "p95_ms": mean("p95_ms"),
        "p99_ms": mean("p99_ms"),
        "errors": sum(run["non_2xx"] + run["socket_errors"] for run in runs),
        "rounds": runs,
    }


def drive(load, connection_counts, rounds, our_port, peer_port, asked):
    """Every question at every connection count, ours and the peer's runs alternating; returns
    one row per (question, connections). Each query is first checked to answer with data and
    no errors, and again after its runs."""
    for name, our_query, peer_query in asked:
        if not has_rows(answered(our_port, our_query)):
            sys.exit(f"our server found no data for {name!r}")
        if peer_port and peer_query and not has_rows(answered(peer_port, peer_query)):
            sys.exit(f"the peer found no data for {name!r}: {peer_query}")
    rows = []
    for connections in connection_counts:
        for name, our_query, peer_query in asked:
            peer_asked = bool(peer_port and peer_query)
            mine, theirs = [], []
            for _ in range(rounds):
                mine.append(load.run(our_port, our_query, connections))
                if peer_asked:
                    theirs.append(load.run(peer_port, peer_query, connections))
            answered(our_port, our_query)
            if peer_asked:
                answered(peer_port, peer_query)
            row = {"question": name, "connections": connections,
                   "ours": combine(mine), "peer": combine(theirs)}
            rows.append(row)
            line = f"    {connections:>3} conn  {name:<45} ours {row['ours']['rps']:>9,.0f} req/s"
            if row["peer"]:
                line += f"  peer {row['peer']['rps']:>9,.0f} req/s"
            print(line, flush=True)
    return rows


# ---------------------------------------------------------------------------------------------
# The equality check
# ---------------------------------------------------------------------------------------------


def counts_from_rows(rows):
    """{grade level: {SEB group: count}} from (grade level, group, count) rows."""
    counts = {}
    for grade, group, count in rows:
        groups = counts.setdefault(int(grade), {})
        groups[group] = groups.get(group, 0) + int(count)
    return counts


def peer_grade_counts(port, latest_year):
    """The peer's counts by grade level and SEB group of one employer-year."""
    query = questions(latest_year)[1][2]
    data = answered(port, query)["allStaff"]["groupedAggregates"]
    return counts_from_rows((g["keys"][0], g["keys"][1], g["sum"]["headcount"]) for g in data)


def sql_grade_counts(url, latest_year):
    """Counts by grade level and SEB group of one employer-year, in plain SQL."""
    sql = f"""SELECT s.grade_level, {seb_case("s.parental_occupation")}, count(*)
        FROM staff_record s JOIN employer e ON e.id = s.employer_id
        WHERE e.code = '{EMPLOYER}' AND s.year = {int(latest_year)} GROUP BY 1, 2"""
    if url.startswith("postgres"):
        return counts_from_rows(line.split("|") for line in psql(url, sql).splitlines())
    with contextlib.closing(sqlite3.connect(sqlite_file(url))) as db:
        return counts_from_rows(db.execute(sql))


def our_grade_counts(port, latest_year):
    """Our counts by grade level (served without noise and with a threshold of 1) as
    (headcount, respondents, {group: count}); a withheld count (only zeros are) counts as 0."""
    data = answered(port, check_query(latest_year))["workforce"]["distribution"]
    return {
        g["key"]["gradeLevel"]: (
            g["headcount"] or 0,
            g["respondents"] or 0,
            {c["category"]: c["count"] or 0 for c in g["categories"]},
        )
        for g in data
    }


def compare(ours_counts, reference):
    """The grade levels whose headcount, respondents (known group) or counts per group differ
    between ours and the reference, as readable lines (none: equal)."""
    problems = []
    nothing = (0, 0, {})
    for grade in sorted(set(ours_counts) | set(reference)):
        theirs = reference.get(grade, {})
        expected = (
            sum(theirs.values()),
            sum(n for group, n in theirs.items() if group != UNKNOWN),
            {group: theirs.get(group, 0) for group in sorted(SEB_GROUPS)},
        )
        headcount, respondents, groups = ours_counts.get(grade, nothing)
        got = (headcount, respondents, {g: groups.get(g, 0) for g in sorted(SEB_GROUPS)})
        if got != expected:
            problems.append(f"grade level {grade}: ours {got}, reference {expected}")
    return problems


def equality_check(binary, database_url, tmp, peer_port, latest_year):
    """Our counts before disclosure control against the peer's (without a peer, against plain
    SQL): one employer-year by grade level and SEB group. Our second instance runs
    with a zero-noise ptable and DISCLOSURE_MIN_COUNT=1. Returns the check's figures."""
    ptable = os.path.join(tmp, "zero-ptable.csv")
    zero_ptable(ptable)
    settings = {"DISCLOSURE_MIN_COUNT": "1", "PTABLE": ptable}
    port, server = ours(binary, database_url, tmp, 1, settings, label="ours-exact")
    with server:
        mine = our_grade_counts(port, latest_year)
    if peer_port:
        reference, against = peer_grade_counts(peer_port, latest_year), "the peer"
    else:
        reference, against = sql_grade_counts(database_url, latest_year), "plain SQL"
    problems = compare(mine, reference)
    people = sum(sum(groups.values()) for groups in reference.values())
    detail = (f"{EMPLOYER} {latest_year} by grade level and SEB group against {against}: "
              f"{len(reference)} grade levels, {people:,} people")
    return {"passed": not problems and people > 0, "detail": detail, "problems": problems}


# ---------------------------------------------------------------------------------------------
# One store and size
# ---------------------------------------------------------------------------------------------


def measure(args, binary, load, store, records, peer_folder):
    """Everything for one store and size: load the data, start the servers, check the counts,
    drive the questions; returns the figures. Cleans up after itself."""
    print(f"\n== {store_name(store)}, {records:,} records", flush=True)
    result = {"store": store, "records": records}
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="mx-peer-"))
        if store == "postgres":
            database_url = stack.enter_context(postgres_database(args.postgres_url))
        else:
            database_url = f"sqlite://{tmp}/bench.db?mode=rwc"
        result["import"] = load_data(binary, database_url, records, tmp)
        year = latest_year(store, database_url)

        port, server = ours(binary, database_url, tmp, max(args.connections))
        process, startup = stack.enter_context(server)
        result["ours"] = {
            "startup_s": startup,
            "rss_mb": memory_kb(process.pid, "VmRSS") / 1024,
        }

        peer_port = None
        if peer_folder:
            print("  building the peer's table...", flush=True)
            begun = time.monotonic()
            build_peer_table(database_url)
            table_s = time.monotonic() - begun
            cli = os.path.join(peer_folder, "node_modules", ".bin", "postgraphile")
            peer_port, peer_server = peer(cli, database_url, tmp, args.peer_workers)
            peer_process, peer_startup = stack.enter_context(peer_server)
            result["peer"] = {
                "versions": peer_versions(peer_folder),
                "workers": args.peer_workers,
                "table_s": table_s,
                "startup_s": peer_startup,
                "rss_mb": tree_memory_kb(peer_process.pid, "VmRSS") / 1024,
            }

        print("  checking the counts before disclosure control...", flush=True)
        result["check"] = check = equality_check(binary, database_url, tmp, peer_port, year)
        print(f"  {'PASS' if check['passed'] else 'FAIL'}: {check['detail']}", flush=True)
        for line in check["problems"][:20]:
            print(f"    {line}")

        asked = questions(year)
        if not result["import"]["indicators"]:
            asked = [q for q in asked if not q[0].startswith("socialMobilityIndex")]
        print("  driving the questions...", flush=True)
        result["rows"] = drive(load, args.connections, args.rounds, port, peer_port, asked)
        result["ours"]["peak_rss_mb"] = memory_kb(process.pid, "VmHWM") / 1024
        if peer_port:
            result["peer"]["peak_rss_mb"] = tree_memory_kb(peer_process.pid, "VmHWM") / 1024
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def store_name(store):
    """PostgreSQL or SQLite."""
    return "PostgreSQL" if store == "postgres" else "SQLite"


def latency(figures):
    """p50 / p95 / p99 in ms, or n/a."""
    if not figures:
        return "n/a"
    if figures["p50_ms"] is None:
        return "none answered"
    return f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} / {figures['p99_ms']:.1f}"


def report(result):
    """Prints one store and size: the import, start-up and check figures, then the table."""
    imp, mine, check = result["import"], result["ours"], result["check"]
    print(f"\n## {store_name(result['store'])}, {result['records']:,} staff records\n")
    print(f"- import: {imp['import_s']:.1f} s, {imp['rows_per_s']:,.0f} rows/s, "
          f"peak RSS {imp['import_peak_rss_mb']:.0f} MB ({imp['csv_mb']:.0f} MB of CSV)")
    print(f"- ours: start-up {mine['startup_s']:.2f} s, RSS {mine['rss_mb']:.0f} MB when ready, "
          f"peak {mine['peak_rss_mb']:.0f} MB by the end")
    if "peer" in result:
        p = result["peer"]
        versions = ", ".join(f"{name} {version}" for name, version in p["versions"].items())
        print(f"- peer ({versions}, {p['workers']} worker(s)): table built in "
              f"{p['table_s']:.1f} s, start-up {p['startup_s']:.2f} s, RSS {p['rss_mb']:.0f} MB "
              f"when ready, peak {p['peak_rss_mb']:.0f} MB by the end (all processes)")
    else:
        print("- peer: none (PostGraphile serves PostgreSQL only)" if result["store"] == "sqlite"
              else "- peer: not run (--no-peer)")
    if not imp["indicators"]:
        print("- socialMobilityIndex: skipped, the demo indicators could not be loaded")
    print(f"- counts before disclosure control: {'PASS' if check['passed'] else 'FAIL'} "
          f"({check['detail']})\n")
    print("| question | conn | ours req/s | ours p50/p95/p99 ms | peer req/s "
          "| peer p50/p95/p99 ms | ours/peer | ours/floor | errors ours/peer |")
    print("|---|---|---|---|---|---|---|---|---|")
    floors = {r["connections"]: r["ours"]["rps"] for r in result["rows"] if r["question"] == FLOOR}
    for row in result["rows"]:
        o, p = row["ours"], row["peer"]
        floor = floors.get(row["connections"])
        cells = [
            row["question"],
            str(row["connections"]),
            f"{o['rps']:,.0f}",
            latency(o),
            f"{p['rps']:,.0f}" if p else "n/a",
            latency(p),
            f"{o['rps'] / p['rps']:.2f}" if p and p["rps"] else "n/a",
            f"{o['rps'] / floor:.2f}" if floor else "n/a",
            f"{o['errors']}/{p['errors'] if p else '-'}",
        ]
        print("| " + " | ".join(cells) + " |")


# ---------------------------------------------------------------------------------------------


def parse_args():
    """The command line."""
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", help="a built mobility-explorer (default: build this one)")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000],
                        help="staff records to generate and import; several sizes run in turn")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16, 64],
                        help="concurrent connections of each run")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each run")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs of each question at each connection count, ours and the "
                             "peer's alternating")
    parser.add_argument("--threads", type=int, default=max(1, cores // 2),
                        help="wrk threads (at most the connections; default: half the cores)")
    parser.add_argument("--peer-workers", type=int, default=cores,
                        help="the peer's worker processes (default: one per core)")
    parser.add_argument("--peer-dir",
                        help="where to install the peer, or find it installed "
                             "(default: a temporary folder)")
    parser.add_argument("--no-peer", action="store_true", help="run our server alone")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("TEST_POSTGRES_URL",
                                               "postgres://postgres@127.0.0.1:5432/test"),
                        help="a database on the PostgreSQL server to create the benchmark's "
                             "own database from (default: TEST_POSTGRES_URL)")
    parser.add_argument("--json", help="also save every figure to this file")
    args = parser.parse_args()
    if min(args.records + args.connections + [args.duration, args.rounds, args.threads,
                                              args.peer_workers]) < 1:
        parser.error("records, connections, duration, rounds, threads and workers must be > 0")
    return args


def main():
    """Runs every store and size asked and prints their tables; exits 1 when a check failed."""
    args = parse_args()
    # SIGTERM unwinds as Ctrl-C does: servers stopped, database dropped, files removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    binary = os.path.abspath(args.binary) if args.binary else build_binary()
    if not os.access(binary, os.X_OK):
        sys.exit(f"no binary at {binary}")
    stores = ["postgres", "sqlite"] if args.store == "both" else [args.store]
    results = []
    with tempfile.TemporaryDirectory(prefix="mx-peer-tools-") as tools:
        load = Load(ensure_wrk(), tools, args.duration, args.threads)
        peer_folder = None
        if "postgres" in stores and not args.no_peer:
            peer_folder = os.path.abspath(args.peer_dir or os.path.join(tools, "peer"))
            install_peer(peer_folder)
        for store in stores:
            for records in args.records:
                folder = peer_folder if store == "postgres" else None
                results.append(measure(args, binary, load, store, records, folder))
    for result in results:
        report(result)
    if args.json:
        with open(args.json, "w") as f:
            settings = {k: v for k, v in vars(args).items() if k != "json"}
            json.dump({"settings": settings, "results": results}, f, indent=2)
        print(f"\nFigures saved to {args.json}")
    failed = [r for r in results if not r["check"]["passed"]]
    print(f"\nCounts before disclosure control: {'FAIL' if failed else 'PASS'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: everything started was stopped")
