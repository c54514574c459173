"""Rule orcas_split: a seeded recording-level split, training recordings and held-out ones (the
original trained on 128 of 200 tapes chosen at random)."""

import pandas as pd

from audiorepro import rule
from audiorepro.orcas.data import recording_split
from audiorepro.recordings import write_table


def main(snakemake):
    p = snakemake.params.split
    recordings = pd.read_csv(snakemake.input.table)
    split = recording_split(recordings.wav, p["train_fraction"], p["seed"])
    table = recordings.merge(split.rename(columns={"file": "wav"}), on="wav")
    write_table(table, snakemake.output.table)
    rule.log.info("%s", table.groupby("split").seconds.agg(["count", "sum"]).to_dict())


rule.run(snakemake, main)  # noqa: F821
