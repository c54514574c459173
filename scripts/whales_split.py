"""Rule whales_split: the `digits` head/tail split or a seeded `stratified` one, with class counts."""

import pandas as pd

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.whales.data import class_counts, digits_head_tail_split, stratified_split


def main(snakemake):
    clips = pd.read_csv(snakemake.input.clips)
    params = snakemake.params.split
    if snakemake.wildcards.protocol == "digits":
        table = digits_head_tail_split(clips, params["train_fraction"])
    else:
        table = stratified_split(clips, params["train_fraction"], params["seed"])
    table = table.assign(row=clips["row"].to_numpy())
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False)
    counts = class_counts(table)
    with atomic_path(snakemake.output.counts) as tmp:
        counts.to_csv(tmp)
    rule.log.info("class counts:\n%s", counts)


rule.run(snakemake, main)
