"""Rule sorting_raw: the songs (generated as mp3, or linked from the user's folder)."""

from audiorepro import rule
from audiorepro.raw import make_raw
from audiorepro.sorting.synth import generate

rule.run(snakemake, lambda snakemake: make_raw(snakemake, generate))  # noqa: F821
