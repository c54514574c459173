"""Rule whales_split: the `digits` head/tail split or a seeded `stratified` one, with class counts."""

import pandas as pd

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.whales.data import class_counts, protocol_split


def main(snakemake):
    table = protocol_split(snakemake.wildcards.protocol, pd.read_csv(snakemake.input.clips),
                           snakemake.params.split)
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False)
    counts = class_counts(table)
    with atomic_path(snakemake.output.counts) as tmp:
        counts.to_csv(tmp)
    rule.log.info("class counts:\n%s", counts)


rule.run(snakemake, main)  # noqa: F821
