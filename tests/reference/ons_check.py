#!/usr/bin/env python3
"""Checks the API's published workforce counts against the ONS cell key method.

The reference is `create_perturbed_table` of the ONS `cell-key-perturbation` package
(https://pypi.org/project/cell-key-perturbation/). The script:

1. generates a workforce CSV for one employer and year 2024: a few thousand records with
   seeded random record keys, grade levels 1-7 (level 1 large enough for counts above 750,
   so the pcv wrap is used; levels 6 and 7 below or near the threshold, one cell empty) and
   every parental occupation code, unknown answers included;
2. with the `mobility-explorer` binary, imports it into a fresh temporary SQLite store, and
   for each of two ptables writes the ptable in use (`ptable --out`) and serves the store on a
   free local port (`DEMO_DATA=false`);
3. asks the API for the distribution by grade level (headcount, respondents and the count of
   each parental-occupation group);
4. computes the same figures with `create_perturbed_table` on the same records and the
   ptable the binary wrote, with threshold 10:
   - headcount:   tab_vars ["grade_level"] over all records,
   - respondents: tab_vars ["grade_level"] over records whose group is known,
   - cells:       tab_vars ["grade_level", "group"] over records whose group is known;
5. compares them value for value (a withheld value, null in the API, is NA in the ONS table),
   prints a summary and exits non-zero on any difference.

The two ptables: the one the binary uses (its bundled default, or `PTABLE` when set), and the
same table with each row's noise given out to the cell keys in another order for every pcv.
A table whose rows differ shows that each count is looked up on the right row (the pcv wrap
above 750 included); the second one differs from the first on every row whatever the first is.

On top of the ONS method the API withholds a whole group (every category count, and the
respondents) when the group's published headcount or respondents is withheld
(`Policy::table` in `src/domain/disclosure.rs`). The ONS package has no such rule, so the
script applies it to the ONS figures before comparing and reports how many values it
withheld; `--ons-only` compares with the ONS figures as they are.

This is a manual check, not run by the test suite: it needs pandas and the ONS package from
PyPI. To run it from the repository root, with a virtual environment made anywhere outside it:

    python3 -m venv ../ons-venv
    ../ons-venv/bin/pip install cell-key-perturbation pandas
    cargo build --bin mobility-explorer
    ../ons-venv/bin/python tests/reference/ons_check.py target/debug/mobility-explorer

The binary is the first argument, else `$MOBILITY_EXPLORER`, else `mobility-explorer` on the
PATH. `--seed N` checks other records.
"""

import argparse
import contextlib
import csv
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import pandas as pd
from cell_key_perturbation.create_perturbed_table import create_perturbed_table

EMPLOYER = "ONSCHECK"
YEAR = 2024
THRESHOLD = 10
# With the bundled default ptable this seed gives grade level 6 (11 people, 10 declared) a
# withheld headcount (11 - 2) but respondents the ONS method publishes (10 + 2), so the API's
# group rule is exercised; any seed makes a valid check.
SEED = 54

# Records per grade level. Level 1 has headcount, respondents and a LOWER count above 750;
# levels 5 to 7 hold counts around and below the threshold.
GRADE_SIZES = {1: 2100, 2: 950, 3: 520, 4: 260, 5: 60, 6: 11, 7: 9}

# Parental occupation codes by background group; None: unknown (in the headcount only).
CODES = {
    "PROFESSIONAL": ["professional", "senior_manager"],
    "INTERMEDIATE": ["intermediate", "small_business"],
    "LOWER": ["technical_craft", "routine", "long_term_unemployed"],
    None: ["other", "prefer_not_to_say", ""],
}
GROUPS = ["PROFESSIONAL", "INTERMEDIATE", "LOWER"]
# The kinds of value compared, with their plural for the summary.
KINDS = {"headcount": "headcounts", "respondents": "respondents", "cell": "cells"}

WORK_AREAS = ["E08000025", "E09000033", "W06000015"]
BUSINESS_UNITS = ["Operations", "Policy", "Corporate"]

QUERY = """
query ($employers: [String!], $years: [Int!]) {
  workforce(filter: {employers: $employers, years: $years}) {
    distribution(by: [GRADE_LEVEL]) {
      key { gradeLevel }
      headcount headcountSuppressed
      respondents respondentsSuppressed
      categories { category count suppressed }
    }
  }
}
"""


# 1. The records

def group_weights(level):
    """The chance of each background group at a grade level: fewer LOWER at senior levels,
    none at level 7 (an empty cell)."""
    lower = 0.45 - 0.075 * (level - 1)
    return {"PROFESSIONAL": 0.55 - lower, "INTERMEDIATE": 0.30, "LOWER": lower, None: 0.15}


def generate_records(seed):
    """The staff records: dicts of CSV columns, plus each record's background group."""
    rng = random.Random(seed)
    records = []
    for level, size in GRADE_SIZES.items():
        weights = group_weights(level)
        for _ in range(size):
            group = rng.choices(list(weights), weights=list(weights.values()))[0]
            records.append({
                "person_ref": f"P{len(records) + 1:06d}",
                "employer": EMPLOYER,
                "employer_name": "ONS check employer",
                "year": YEAR,
                "business_unit": rng.choice(BUSINESS_UNITS),
                "grade": f"G{level}",
                "grade_level": level,
                "work_area": rng.choice(WORK_AREAS),
                "joined_year": rng.choice(["", *range(2000, YEAR + 1)]),
                "parental_occupation": rng.choice(CODES[group]),
                "school_type": rng.choice(["state_non_selective", "independent", "dont_know"]),
                "free_school_meals": rng.choice(["yes", "no", ""]),
                "parental_degree": rng.choice(["yes", "no", "prefer_not_to_say"]),
                "self_assessed": rng.choice(["yes", "no", ""]),
                "engagement": rng.choice(["", *range(0, 101)]),
                "record_key": rng.randrange(256),
                "group": group,
            })
    return records


def write_csv(records, path):
    columns = [c for c in records[0] if c != "group"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)


def rotated(ptable):
    """The same noise for each count, given out to the cell keys rotated by 37 * pcv: a valid
    ptable whose rows differ from one pcv to the next."""
    noise = ptable.set_index(["pcv", "ckey"])["pvalue"]
    keys = (ptable["ckey"] + 37 * ptable["pcv"]) % 256
    return ptable.assign(pvalue=noise.loc[list(zip(ptable["pcv"], keys))].to_numpy())


# 2. and 3. The API

def run(binary, args, env):
    """Runs the binary to completion; exits with its output when it fails."""
    result = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"`mobility-explorer {' '.join(args)}` failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def serve(binary, env, log_path):
    """Serves the API on a free port (`BIND=127.0.0.1:0`); yields its GraphQL URL."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [binary, "serve"], env={**env, "BIND": "127.0.0.1:0"},
            stdout=subprocess.PIPE, stderr=log, text=True,
        )
        timer = threading.Timer(120, server.kill)
        timer.start()
        try:
            url = None
            for line in server.stdout:
                match = re.search(r"http://\S+/graphql", line)
                if match:
                    url = match.group(0)
                    break
            timer.cancel()
            if url is None:
                server.wait()
                sys.exit(f"the server did not start:\n{Path(log_path).read_text()}")
            yield url
        finally:
            timer.cancel()
            server.terminate()
            server.wait(timeout=30)


def api_distribution(url):
    """The API's figures: {grade level: {kind: (value, reason)} with "cell" by group}."""
    body = json.dumps({
        "query": QUERY,
        "variables": {"employers": [EMPLOYER], "years": [YEAR]},
    }).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    if answer.get("errors"):
        sys.exit(f"the API answered with errors: {answer['errors']}")
    figures = {}
    for group in answer["data"]["workforce"]["distribution"]:
        figures[group["key"]["gradeLevel"]] = {
            "headcount": (group["headcount"], group["headcountSuppressed"]),
            "respondents": (group["respondents"], group["respondentsSuppressed"]),
            "cell": {c["category"]: (c["count"], c["suppressed"]) for c in group["categories"]},
        }
    return figures


# 4. The ONS package

def perturbed(data, ptable, tab_vars):
    """`create_perturbed_table` over `tab_vars`, indexed by them; of its notes, only
    warnings are printed."""
    notes = io.StringIO()
    with contextlib.redirect_stdout(notes):
        table = create_perturbed_table(
            data=data, ptable=ptable, geog=[], tab_vars=tab_vars,
            record_key="record_key", threshold=THRESHOLD,
        )
    for line in notes.getvalue().splitlines():
        if line.startswith("Warning"):
            print(f"cell-key-perturbation: {line}")
    return table.set_index(tab_vars)


def ons_distribution(records, ptable):
    """The ONS figures, {grade level: {kind: value} with "cell" by group} (None for NA), and
    the true counts behind them."""
    data = pd.DataFrame(records)[["grade_level", "group", "record_key"]]
    declared = data[data["group"].notna()]
    tables = {
        "headcount": perturbed(data, ptable, ["grade_level"]),
        "respondents": perturbed(declared, ptable, ["grade_level"]),
        "cell": perturbed(declared, ptable, ["grade_level", "group"]),
    }

    # A grade level with no declared records has no row in the declared tables: a true count
    # of 0, withheld like the empty cells the package lists itself.
    true_counts = []

    def published(kind, key):
        if key not in tables[kind].index:
            true_counts.append(0)
            return None
        row = tables[kind].loc[key]
        true_counts.append(int(row["pre_sdc_count"]))
        return None if pd.isna(row["count"]) else int(row["count"])

    figures = {
        int(level): {
            "headcount": published("headcount", level),
            "respondents": published("respondents", level),
            "cell": {group: published("cell", (level, group)) for group in GROUPS},
        }
        for level in tables["headcount"].index
    }
    return figures, true_counts


def withhold_small_groups(figures):
    """Applies the API's group rule: a grade level whose headcount or respondents is withheld
    has its respondents and every cell withheld. Returns how many published values it hid."""
    hidden = 0
    for level in figures.values():
        if level["headcount"] is None or level["respondents"] is None:
            hidden += level["respondents"] is not None
            hidden += sum(v is not None for v in level["cell"].values())
            level["respondents"] = None
            level["cell"] = {group: None for group in level["cell"]}
    return hidden


# 5. The comparison

def compare(expected, actual):
    """Every value as (kind, grade level, group, ONS value, API value, API reason)."""
    rows = []
    absent = (None, "absent from the answer")
    for level in sorted(set(expected) | set(actual)):
        want = expected.get(level, {"headcount": None, "respondents": None, "cell": {}})
        got = actual.get(level, {"headcount": absent, "respondents": absent, "cell": {}})
        for kind in ("headcount", "respondents"):
            rows.append((kind, level, "", want[kind], *got[kind]))
        for group in GROUPS:
            rows.append(("cell", level, group, want["cell"].get(group),
                         *got["cell"].get(group, absent)))
    return rows


def check(binary, env, ptable_path, records, ons_only):
    """Writes the ptable in use to `ptable_path`, serves, compares and prints a summary;
    returns the number of differences."""
    run(binary, ["ptable", "--out", str(ptable_path)], env)
    with serve(binary, env, ptable_path.with_suffix(".log")) as url:
        actual = api_distribution(url)
    ptable = pd.read_csv(ptable_path)
    expected, true_counts = ons_distribution(records, ptable)
    hidden = 0 if ons_only else withhold_small_groups(expected)
    rows = compare(expected, actual)
    differences = [r for r in rows if r[3] != r[4]]

    distinct_rows = len(ptable.pivot(index="pcv", columns="ckey", values="pvalue")
                        .drop_duplicates())
    print(f"  ptable: {len(ptable)} rows, {distinct_rows} distinct pcv rows")
    print(f"  true counts: {sum(n > 750 for n in true_counts)} above 750, "
          f"{sum(0 < n < THRESHOLD for n in true_counts)} from 1 to {THRESHOLD - 1}, "
          f"{true_counts.count(0)} zero")
    if not ons_only:
        print(f"  API group rule applied to the ONS figures: withheld {hidden} published value(s)")
    for kind, plural in KINDS.items():
        of_kind = [r for r in rows if r[0] == kind]
        equal = sum(r[3] == r[4] for r in of_kind)
        withheld = sum(r[3] is None for r in of_kind)
        print(f"  {plural + ':':13} {len(of_kind):3} compared, {equal:3} equal "
              f"({withheld} withheld in the reference)")
    for kind, level, group, want, got, reason in differences:
        print(f"  DIFFERENCE: {kind} of grade level {level} {group}".rstrip()
              + f": ONS {want}, API {got}" + (f" ({reason})" if reason else ""))
    return len(differences)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "binary", nargs="?",
        default=os.environ.get("MOBILITY_EXPLORER", "mobility-explorer"),
        help="the mobility-explorer binary (default: $MOBILITY_EXPLORER, else on the PATH)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"record seed (default {SEED})")
    parser.add_argument(
        "--ons-only", action="store_true",
        help="compare with the ONS figures as they are, without the API's group rule",
    )
    args = parser.parse_args()
    binary = shutil.which(args.binary) or sys.exit(f"no binary {args.binary}")

    records = generate_records(args.seed)
    print(f"{len(records)} records (seed {args.seed}), "
          f"grade levels of {', '.join(map(str, GRADE_SIZES.values()))} people")
    with tempfile.TemporaryDirectory(prefix="ons-check-") as tmp:
        tmp = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite://{tmp / 'check.db'}?mode=rwc",
            "PERSON_KEY": "ons-check-person-key-not-a-secret",
            "DEMO_DATA": "false",
            "DISCLOSURE_MIN_COUNT": str(THRESHOLD),
            "GRAPHIQL": "false",
            "RUST_LOG": "warn",
        }
        write_csv(records, tmp / "staff.csv")
        run(binary, ["migrate", "up"], env)
        run(binary, ["import", "workforce", "--new-employers", str(tmp / "staff.csv")], env)

        print("The binary's ptable:")
        differences = check(binary, env, tmp / "ptable.csv", records, args.ons_only)

        rotated(pd.read_csv(tmp / "ptable.csv")).to_csv(tmp / "rotated.csv", index=False)
        print("The same ptable, rotated per pcv (PTABLE):")
        env["PTABLE"] = str(tmp / "rotated.csv")
        differences += check(binary, env, tmp / "ptable-rotated.csv", records, args.ons_only)

    if differences:
        sys.exit(f"{differences} difference(s) from cell-key-perturbation")
    print("The API matches cell-key-perturbation.")


if __name__ == "__main__":
    main()
