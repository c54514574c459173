"""Rule orcas_scan: the trained network run over every held-out recording (one output per 16
samples, as the original's scan), every unit's track kept; the whistle units measured against
the annotations (none on real recordings without tables: those measures are null, and the
file's ``not_measured`` says why); the scan's speed against the original's step-by-step loop."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from audiorepro.orcas import scan  # noqa: E402

rule.run(snakemake, scan.run)  # noqa: F821
