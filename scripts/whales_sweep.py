"""Rule whales_sweep: every sweep member's metrics gathered into DIGITS' model list (a table)."""

import json

import pandas as pd

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.whales.evaluate import sweep_table


def main(snakemake):
    runs = [json.loads(open(path).read()) for path in snakemake.input.metrics]
    histories = [pd.read_csv(path) for path in snakemake.input.histories]
    table = sweep_table(snakemake.params.variants, runs, histories)
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False)
    rule.log.info("sweep:\n%s", table[["model", "final_validation_accuracy", "roc_auc"]])


rule.run(snakemake, main)  # noqa: F821
