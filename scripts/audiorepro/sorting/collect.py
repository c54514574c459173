"""The collect rule: every grid run's metrics in one table (one row per point, its seeds summed
up; and one row per point and seed), and the claims measured on it.

Kept apart from :mod:`.evaluate`, which the training jobs import, as :mod:`.verdicts` is: an
edit here reruns the collect rule and what reads its outputs, never the grid trainings.
"""

import json
import logging
from pathlib import Path

from ..atomic import atomic_path, write_json
from .evaluate import collect, per_seed_table
from .verdicts import claims

log = logging.getLogger("audiorepro")


def read_runs(paths):
    """The metrics dicts of the grid runs' metrics.json files, in the given order."""
    return [json.loads(Path(path).read_text()) for path in paths]


def claims_document(judged):
    """claims.json's content: {claim id: its row without the id}."""
    return {row["id"]: {k: v for k, v in row.items() if k != "id"}
            for row in judged.to_dict("records")}


def run(job):
    """The whole rule: grid.csv, grid_seeds.csv and claims.json from the runs' metrics."""
    runs = read_runs(job.input.metrics)
    table, seeds = collect(runs), per_seed_table(runs)
    with atomic_path(job.output.table) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(job.output.seeds) as tmp:
        seeds.to_csv(tmp, index=False)
    judged = claims(table, runs=seeds)
    write_json(job.output.claims, claims_document(judged))
    log.info("grid:\n%s\nclaims:\n%s", table[["run", "accuracy", "ci_low", "chance"]],
             judged[["id", "verdict", "accuracy", "note"]])
    return judged
