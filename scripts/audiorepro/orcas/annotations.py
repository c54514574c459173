"""The orcas annotations rule: the whistle and speech times the unit measures use, one table
``file, kind, start, end`` over the converted recordings (read by
:mod:`audiorepro.annotations`): the configured annotation tables (Raven selection tables or
Audacity label tracks), else the synthetic tapes' ground truth, else no row at all (real
recordings without annotations: the measures say "not measured").

Annotations of recordings the conversion left out (shorter than the segments, with
``orcas.audio.short_recordings: skip``) are dropped with a logged count, and the coverage file
says how many annotated stretches were kept (:func:`audiorepro.recordings.coverage`: losing
more than a quarter is a warning there and in the log).
"""

import logging

import pandas as pd

from ..annotations import COLUMNS, describe, drop_left_out, empty, read_annotations, table_files
from ..atomic import atomic_path
from ..raw import find_recordings
from ..recordings import coverage, write_coverage

log = logging.getLogger("audiorepro")


def from_tables(settings, recordings, raw):
    """The tables at ``settings["path"]`` (``orcas.annotations``) over the converted
    ``recordings`` (the convert table: ``file``, ``seconds``); the recordings found in the
    ``raw`` folder but not converted are the left-out ones. Returns (table, rows the tables
    hold, what was read)."""
    found = [f.relative_to(raw).as_posix() for f in find_recordings(raw)[0]]
    table, total = read_annotations(
        settings["path"], dict(zip(recordings.file.astype(str), recordings.seconds)),
        settings["format"], settings["label_column"], settings["whistle_labels"],
        settings["speech_labels"], key="orcas.annotations.path", left_out=found, with_total=True)
    return table, total, f"{len(table_files(settings['path']))} table(s) at {settings['path']}"


def from_truth(truth, recordings):
    """The synthetic tapes' ground truth (its annotation columns) less the tapes the conversion
    left out. Returns (table, rows of the truth, what was read)."""
    truth = truth[COLUMNS]
    left_out = set(truth.file.astype(str)) - set(recordings.file.astype(str))
    return drop_left_out(truth, left_out), len(truth), "the synthetic tapes' ground truth"


def annotation_table(settings, recordings, raw, synthetic, truth_path):
    """(table, rows before the left-out recordings were dropped, what was read): from the
    tables of ``orcas.annotations`` (``settings``), else (``synthetic``) from the ground truth
    at ``truth_path``, else empty."""
    if settings["path"]:
        return from_tables(settings, recordings, raw)
    if synthetic:
        return from_truth(pd.read_csv(truth_path), recordings)
    return empty(), 0, "no annotations (set orcas.annotations.path to measure the whistle units)"


def run(job):
    """The rule ``orcas_annotations`` (``job``: its Snakemake job object)."""
    p, out = job.params, job.output
    recordings = pd.read_csv(job.input.table)
    table, total, made = annotation_table(p.annotations, recordings, job.input.raw, p.synthetic,
                                          job.input.truth)
    with atomic_path(out.table) as tmp:
        table.to_csv(tmp, index=False)
    log.info("%s: %s", made, describe(table))
    write_coverage(out.coverage, coverage(len(table), total, "annotated stretches", p.skip_key))
