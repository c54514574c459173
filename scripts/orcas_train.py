"""Rule orcas_train: the next-sample mu-law network (the LSTM, or the baseline without it),
trained by truncated backpropagation through time on parallel segments of the training tapes."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.orcas import train  # noqa: E402

rule.run(snakemake, train.run)  # noqa: F821
