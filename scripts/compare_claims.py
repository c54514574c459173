"""`make compare A=results-one B=results-two`: the claims whose verdict or number changed
between two runs, and what the rows rest on where it changed (commit, code, data)."""

import sys

from audiorepro.claims_table import compare_main

if __name__ == "__main__":
    sys.exit(compare_main())
