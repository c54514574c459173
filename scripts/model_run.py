"""Rules <study>_train (and orcas_scan, continuation_generate): the job's Keras backend first,
then audiorepro.<study>.<stage>.run, the module the rule's name says (run_seeds where one job
trains every seed of a variant)."""

from importlib import import_module

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)
study, stage = snakemake.rule.split("_", 1)  # noqa: F821
module = import_module(f"audiorepro.{study}.{stage}")
rule.run(snakemake, module.run_seeds if "seeds" in snakemake.params.keys() else module.run)  # noqa: F821
