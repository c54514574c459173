"""Rule sorting_controls: the noise, tiled-tone and sine controls, and their ground truth."""

from audiorepro import rule
from audiorepro.sorting import controls

rule.run(snakemake, controls.run)  # noqa: F821
