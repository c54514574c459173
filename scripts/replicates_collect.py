"""Rules <study>_replicates: a variant's seed replicates summed up (replicates.json: every
number's per-seed values, mean, spread and 95 % interval over seeds) and their spread drawn."""

from audiorepro import replicates, rule

rule.run(snakemake, replicates.run)  # noqa: F821
