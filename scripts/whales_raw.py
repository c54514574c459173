"""Rule whales_raw: the whales data set in its original layout (generated, downloaded or linked)."""

from audiorepro import rule
from audiorepro.raw import make_raw
from audiorepro.whales.synth import generate

rule.run(snakemake, lambda snakemake: make_raw(snakemake, generate))  # noqa: F821
