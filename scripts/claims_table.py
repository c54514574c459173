"""Rule claims: every claim of the originals, ours beside it, a verdict; CSV and Markdown
(audiorepro.claims_table)."""

from audiorepro import claims_table, rule

rule.run(snakemake, claims_table.run)  # noqa: F821
