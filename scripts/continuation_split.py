"""Rule continuation_split: the contiguous 80/10/10 split of the recordings (joined in file order,
cut at their boundaries) and the scaling statistics of one protocol (all the data, or the
training part only)."""

from audiorepro import rule
from audiorepro.continuation import split

rule.run(snakemake, split.run)  # noqa: F821
