"""Rule orcas_raw: the recordings (generated tapes as mp3, downloaded and checked, or linked)."""

from audiorepro import rule
from audiorepro.orcas.synth import generate
from audiorepro.raw import make_raw

rule.run(snakemake, lambda snakemake: make_raw(snakemake, generate))  # noqa: F821
