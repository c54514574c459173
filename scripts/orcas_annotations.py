"""Rule orcas_annotations: the whistle and speech times the unit measures use, one table
``file, kind, start, end`` over the converted recordings: the configured annotation tables
(Raven selection tables or Audacity label tracks), else the synthetic tapes' ground truth, else
no row at all (real recordings without annotations: the measures say "not measured").
Annotations of recordings the conversion left out (shorter than the segments, with
``orcas.audio.short_recordings: skip``) are dropped with a logged count."""

import pandas as pd

from audiorepro import annotations, rule
from audiorepro.atomic import atomic_path
from audiorepro.raw import find_recordings


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    a = p.annotations
    recordings = pd.read_csv(snakemake.input.table)
    if a["path"]:
        raw = snakemake.input.raw  # every recording found; the ones not converted were left out
        found = [f.relative_to(raw).as_posix() for f in find_recordings(raw)[0]]
        table = annotations.read_annotations(
            a["path"], dict(zip(recordings.file.astype(str), recordings.seconds)), a["format"],
            a["label_column"], a["whistle_labels"], a["speech_labels"],
            key="orcas.annotations.path", left_out=found)
        made = f"{len(annotations.table_files(a['path']))} table(s) at {a['path']}"
    elif p.synthetic:
        truth = pd.read_csv(snakemake.input.truth)
        table = truth[annotations.COLUMNS]
        made = "the synthetic tapes' ground truth"
    else:
        table = annotations.empty()
        made = "no annotations (set orcas.annotations.path to measure the whistle units)"
    with atomic_path(out.table) as tmp:
        table.to_csv(tmp, index=False)
    rule.log.info("%s: %s", made, annotations.describe(table))


rule.run(snakemake, main)  # noqa: F821
