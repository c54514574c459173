"""Rule orcas_annotations: the whistle and speech times the unit measures use, one table
``file, kind, start, end`` over the converted recordings: the configured annotation tables
(Raven selection tables or Audacity label tracks), else the synthetic tapes' ground truth, else
no row at all (real recordings without annotations: the measures say "not measured").
Annotations of recordings the conversion left out (shorter than the segments, with
``orcas.audio.short_recordings: skip``) are dropped with a logged count, and
``coverage/annotations.json`` says how many annotated stretches were kept: losing more than a
quarter is a warning there and in the log."""

import pandas as pd

from audiorepro import annotations, rule
from audiorepro.atomic import atomic_path
from audiorepro.raw import find_recordings
from audiorepro.recordings import coverage, write_coverage


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    a = p.annotations
    recordings = pd.read_csv(snakemake.input.table)
    if a["path"]:
        raw = snakemake.input.raw  # every recording found; the ones not converted were left out
        found = [f.relative_to(raw).as_posix() for f in find_recordings(raw)[0]]
        table, total = annotations.read_annotations(
            a["path"], dict(zip(recordings.file.astype(str), recordings.seconds)), a["format"],
            a["label_column"], a["whistle_labels"], a["speech_labels"],
            key="orcas.annotations.path", left_out=found, with_total=True)
        made = f"{len(annotations.table_files(a['path']))} table(s) at {a['path']}"
    elif p.synthetic:
        truth = pd.read_csv(snakemake.input.truth)[annotations.COLUMNS]
        left_out = set(truth.file.astype(str)) - set(recordings.file.astype(str))
        table, total = annotations.drop_left_out(truth, left_out), len(truth)
        made = "the synthetic tapes' ground truth"
    else:
        table, total = annotations.empty(), 0
        made = "no annotations (set orcas.annotations.path to measure the whistle units)"
    with atomic_path(out.table) as tmp:
        table.to_csv(tmp, index=False)
    rule.log.info("%s: %s", made, annotations.describe(table))
    write_coverage(out.coverage, coverage(len(table), total, "annotated stretches", p.skip_key))


rule.run(snakemake, main)  # noqa: F821
