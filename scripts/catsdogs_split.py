"""Rule catsdogs_split: one CSV (file, label, split) per protocol."""

import pandas as pd

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.catsdogs.data import protocol_split


def main(snakemake):
    table = protocol_split(snakemake.wildcards.protocol, pd.read_csv(snakemake.input.clips),
                           snakemake.input.raw, snakemake.params.split)
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False)
    rule.log.info("%s", table.groupby(["split", "label"]).size().to_dict())


rule.run(snakemake, main)  # noqa: F821
