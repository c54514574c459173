"""Rule sorting_collect: every grid run's metrics in one table (one row per point, its seeds
summed up; and one row per point and seed), and the claims measured on it."""

import json

from audiorepro import rule
from audiorepro.atomic import atomic_path, write_json
from audiorepro.sorting.evaluate import collect, per_seed_table
from audiorepro.sorting.verdicts import claims


def main(snakemake):
    runs = [json.loads(open(path).read()) for path in snakemake.input.metrics]
    table, seeds = collect(runs), per_seed_table(runs)
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(snakemake.output.seeds) as tmp:
        seeds.to_csv(tmp, index=False)
    judged = claims(table, runs=seeds)
    write_json(snakemake.output.claims, {
        row["id"]: {k: v for k, v in row.items() if k != "id"} for row in judged.to_dict("records")})
    rule.log.info("grid:\n%s\nclaims:\n%s", table[["run", "accuracy", "ci_low", "chance"]],
                  judged[["id", "verdict", "accuracy", "note"]])


rule.run(snakemake, main)  # noqa: F821
