"""Rule whales_train: one member of the sweep (network x learning rate), trained as DIGITS did."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.whales import train  # noqa: E402

rule.run(snakemake, train.run)  # noqa: F821
