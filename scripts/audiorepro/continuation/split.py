"""The continuation split rule: the contiguous 80/10/10 split of the recordings (joined in file
order, cut at their boundaries) and the scaling statistics of one protocol (all the data, or the
training part only), as one table."""

import logging

import pandas as pd

from ..recordings import write_table
from .data import (contiguous_split, read_recordings, recording_pieces, scaling_statistics,
                   split_summary)

log = logging.getLogger("audiorepro")


def split_table(recordings, protocol, fractions, frame, seq_len, where):
    """The split table of ``recordings`` (:class:`.data.Recordings`) under ``protocol``: per
    split its start and end, recordings, files and whole sequences of ``seq_len`` frames of
    ``frame`` samples, with the scaling statistics (protocol, fitted_on, mean, max, min) on
    every row; returns (the table, the statistics). ``where`` names the audio in errors."""
    split = contiguous_split(len(recordings.samples), fractions)
    pieces = recording_pieces(split, recordings.lengths, recordings.files, frame, seq_len)
    stats = scaling_statistics(recordings.samples, split, protocol, where=where)
    table = split_summary(split, pieces).assign(
        **{k: stats[k] for k in ("protocol", "fitted_on", "mean", "max", "min")})
    return table, stats


def run(job):
    """The rule ``continuation_split`` (``job``: its Snakemake job object)."""
    p = job.params
    recordings = read_recordings(job.input.audio, pd.read_csv(job.input.table), p.rate)
    log.info("%s", recordings.describe(p.rate))
    split, stats = split_table(recordings, job.wildcards.protocol, p.split["fractions"], p.frame,
                               p.seq_len, where=f"{job.input.audio} ({len(recordings.files)} "
                                                f"recording(s))")
    write_table(split, job.output.table)
    log.info("split %s; sequences %s; scaling from %s: mean %.2f, max %.0f, min %.0f",
             dict(zip(split.split, split.end - split.start)),
             dict(zip(split.split, split.sequences)), stats["fitted_on"], stats["mean"],
             stats["max"], stats["min"])
    for row in split.itertuples():
        log.info("%s: %d recording(s): %s", row.split, row.recordings, row.files)
