"""Rule orcas_annotations: the whistle and speech times the unit measures use, one table
``file, kind, start, end`` over the converted recordings: the configured annotation tables
(Raven selection tables or Audacity label tracks), else the synthetic tapes' ground truth, else
no row at all (real recordings without annotations: the measures say "not measured").
Annotations of recordings the conversion left out (shorter than the segments, with
``orcas.audio.short_recordings: skip``) are dropped with a logged count, and
``coverage/annotations.json`` says how many annotated stretches were kept: losing more than a
quarter is a warning there and in the log."""

from audiorepro import rule
from audiorepro.orcas import annotations

rule.run(snakemake, annotations.run)  # noqa: F821
