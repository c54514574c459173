"""Rule continuation_train: the stacked LSTM that predicts the next frame, under one protocol,
set beside the trivial predictors (zero, the last frame repeated) on the same sequences."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.continuation import train  # noqa: E402

rule.run(snakemake, train.run)  # noqa: F821
