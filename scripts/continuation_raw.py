"""Rule continuation_raw: the recording (generated, downloaded and checked, or linked)."""

from audiorepro import rule
from audiorepro.continuation.synth import generate
from audiorepro.raw import make_raw

rule.run(snakemake, lambda snakemake: make_raw(snakemake, generate))  # noqa: F821
