"""Rule continuation_generate: seed with the first validation sequence, generate with the LSTM
state carried, check it against the original's re-run method, and measure the drift."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.continuation import generate  # noqa: E402

rule.run(snakemake, generate.run)  # noqa: F821
