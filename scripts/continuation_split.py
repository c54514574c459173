"""Rule continuation_split: the contiguous 80/10/10 split of the recording and the scaling
statistics of one protocol (all the data, or the training part only)."""

import pandas as pd

from audiorepro import rule
from audiorepro.continuation.data import contiguous_split, scaling_statistics
from audiorepro.recordings import read_all, write_table


def main(snakemake):
    p = snakemake.params
    table = pd.read_csv(snakemake.input.table)
    samples = read_all(snakemake.input.audio, table, p.rate)
    split = contiguous_split(len(samples), p.split["fractions"])
    stats = scaling_statistics(samples, split, snakemake.wildcards.protocol,
                               where=f"{snakemake.input.audio} ({len(table)} recording(s))")
    split = split.assign(**{k: stats[k] for k in ("protocol", "fitted_on", "mean", "max", "min")})
    write_table(split, snakemake.output.table)
    rule.log.info("split %s; scaling from %s: mean %.2f, max %.0f, min %.0f",
                  dict(zip(split.split, split.end - split.start)), stats["fitted_on"],
                  stats["mean"], stats["max"], stats["min"])


rule.run(snakemake, main)  # noqa: F821
