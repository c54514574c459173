"""Rule catsdogs_split: one CSV (file, label, split) per protocol."""

from pathlib import Path

import pandas as pd

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.catsdogs.data import SPLIT_CSV, clean_split, original_split, read_split_csv


def main(snakemake):
    clips = pd.read_csv(snakemake.input.clips)
    params = snakemake.params.split
    if snakemake.wildcards.protocol == "original":
        table = original_split(clips, params["original_validation_fraction"],
                               params["original_test_per_class"], params["seed"])
    else:
        csv = read_split_csv(Path(snakemake.input.raw) / SPLIT_CSV, clips["file"])
        table = clean_split(csv, params["clean_validation_fraction"], params["seed"])
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False)
    rule.log.info("%s", table.groupby(["split", "label"]).size().to_dict())


rule.run(snakemake, main)
