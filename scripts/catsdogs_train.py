"""Rule catsdogs_train: train the 10-layer 1-D CNN (a variant: a protocol, or an ablation of
the model under one) with one seed; evaluate on the test files."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.catsdogs import train  # noqa: E402

rule.run(snakemake, train.run)  # noqa: F821
