"""Rules <study>_figures: execute a study's notebook with papermill; its figures are the outputs
(audiorepro.notebooks)."""

from audiorepro import notebooks, rule

rule.run(snakemake, notebooks.run)  # noqa: F821
