"""Rules <study>_train (and orcas_scan, continuation_generate): the job's Keras backend first,
then audiorepro.<study>.<stage>.run, the module the rule's name says."""

from importlib import import_module

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)
study, stage = snakemake.rule.split("_", 1)  # noqa: F821
rule.run(snakemake, import_module(f"audiorepro.{study}.{stage}").run)  # noqa: F821
