"""Rule sorting_collect: every grid run's metrics in one table, and the claims measured on it."""

from audiorepro import rule
from audiorepro.sorting import collect

rule.run(snakemake, collect.run)  # noqa: F821
