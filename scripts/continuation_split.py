"""Rule continuation_split: the contiguous 80/10/10 split of the recordings (joined in file order,
cut at their boundaries) and the scaling statistics of one protocol (all the data, or the
training part only)."""

import pandas as pd

from audiorepro import rule
from audiorepro.continuation.data import (contiguous_split, read_recordings, recording_pieces,
                                          scaling_statistics, split_summary)
from audiorepro.recordings import write_table


def main(snakemake):
    p = snakemake.params
    recordings = read_recordings(snakemake.input.audio, pd.read_csv(snakemake.input.table), p.rate)
    rule.log.info("%s", recordings.describe(p.rate))
    samples = recordings.samples
    split = contiguous_split(len(samples), p.split["fractions"])
    pieces = recording_pieces(split, recordings.lengths, recordings.files, p.frame, p.seq_len)
    stats = scaling_statistics(samples, split, snakemake.wildcards.protocol,
                               where=f"{snakemake.input.audio} ({len(recordings.files)} "
                                     f"recording(s))")
    split = split_summary(split, pieces).assign(
        **{k: stats[k] for k in ("protocol", "fitted_on", "mean", "max", "min")})
    write_table(split, snakemake.output.table)
    rule.log.info("split %s; sequences %s; scaling from %s: mean %.2f, max %.0f, min %.0f",
                  dict(zip(split.split, split.end - split.start)),
                  dict(zip(split.split, split.sequences)), stats["fitted_on"], stats["mean"],
                  stats["max"], stats["min"])
    for row in split.itertuples():
        rule.log.info("%s: %d recording(s): %s", row.split, row.recordings, row.files)


rule.run(snakemake, main)  # noqa: F821
