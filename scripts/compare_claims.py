"""`make compare A=results-one B=results-two`: the claims whose verdict or number changed
between two runs, and what the rows rest on where it changed (commit, code, data)."""

import argparse
import sys

from audiorepro.claims import compare, read_table
from audiorepro.errors import InputError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="results folder (with claims.csv) or claims CSV of run A")
    parser.add_argument("b", help="the same of run B")
    args = parser.parse_args(argv)
    try:
        a, b = read_table(args.a), read_table(args.b)
    except InputError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 2
    changes = compare(a, b)
    verdicts = changes[changes.what == "verdict"]
    print(f"{len(a)} claims in A, {len(b)} in B: {len(verdicts)} verdict(s) changed, "
          f"{int((changes.what == 'ours').sum())} number(s) changed")
    for row in changes.itertuples():
        print(f"{row.study} {row.id} {row.what}: {row.a} -> {row.b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
