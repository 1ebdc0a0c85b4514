"""A partner's check: the CSV export of a persisted query, read with the standard `csv`
module, holds the same figures as the query's GraphQL answer.

Usage: python3 csv_matches_graphql.py BASE_URL

Reads the distribution of employer EMP-P by region both ways and compares every figure:
headcount, respondents and declaration rate of each group, count and share of each
background group; a withheld figure (null in GraphQL) must be `[c]` in the CSV, with the
suppression reason in `status`. Exits non-zero on the first difference.
"""

import csv
import io
import json
import sys
import urllib.request

QUERY = "workforce-distribution"
PARAMS = "employers=EMP-P&by=REGION"


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode("utf-8")


def main(base):
    answer = json.loads(fetch(f"{base}/q/{QUERY}?{PARAMS}"))
    if answer.get("errors"):
        sys.exit(f"the GraphQL answer has errors: {answer['errors']}")
    rows = list(csv.DictReader(io.StringIO(fetch(f"{base}/q/{QUERY}.csv?{PARAMS}"))))
    table = {}
    for row in rows:
        key = (row["region"], row["category"], row["figure"])
        if key in table:
            sys.exit(f"two rows for {key}")
        table[key] = row

    def check(region, category, figure, value, reason):
        row = table.pop((region, category, figure), None)
        if row is None:
            sys.exit(f"no CSV row for {region} {category or '(group)'} {figure}")
        if value is None:
            if row["value"] != "[c]" or row["status"] != (reason or "confidential"):
                sys.exit(f"{region} {category} {figure}: withheld in GraphQL, CSV has {row}")
        elif float(row["value"]) != float(value) or row["status"] != "":
            sys.exit(f"{region} {category} {figure}: GraphQL {value}, CSV {row}")

    checked = 0
    for group in answer["data"]["workforce"]["distribution"]:
        region = group["key"]["region"]
        for figure, reason in [
            ("headcount", group["headcountSuppressed"]),
            ("respondents", group["respondentsSuppressed"]),
            ("declarationRate", group["headcountSuppressed"] or group["respondentsSuppressed"]),
        ]:
            check(region, "", figure, group[figure], reason)
            checked += 1
        for cell in group["categories"]:
            for figure in ("count", "share"):
                check(region, cell["category"], figure, cell[figure], cell["suppressed"])
                checked += 1
    if table:
        sys.exit(f"CSV rows without a GraphQL figure: {sorted(table)}")
    print(f"{checked} figures match")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
