"""Rule sorting_train: one grid point: the sorter trained on jigsaw samples, scored on the
held-out samples."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.sorting import train  # noqa: E402

rule.run(snakemake, train.run)  # noqa: F821
