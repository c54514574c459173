"""Rule catsdogs_raw: the catsdogs data set in its original layout (generated, downloaded or linked)."""

from audiorepro import rule
from audiorepro.raw import make_raw
from audiorepro.catsdogs.synth import generate

rule.run(snakemake, lambda snakemake: make_raw(snakemake, generate))  # noqa: F821
