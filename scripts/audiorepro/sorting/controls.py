"""The controls rule: the controls as the original made them: white noise, a tone tiled from
one whole-sample cycle, and a plain sine (for the claim that tiling made no difference)."""

import logging

import pandas as pd

from ..atomic import atomic_path
from .data import CONTROL_FILES
from .synth import write_control

log = logging.getLogger("audiorepro")


def write_controls(folder, *, seconds, rate, seed, frequency):
    """Write every control (:data:`~audiorepro.sorting.data.CONTROL_FILES`) into ``folder``;
    returns their ground truth, one row per file (file, kind, then write_control's truth)."""
    rows = []
    for kind, name in CONTROL_FILES.items():
        truth = write_control(folder / name, kind, seconds=seconds, rate=rate, seed=seed,
                              frequency=frequency)
        rows.append({"file": name, "kind": kind, **truth})
    return pd.DataFrame(rows)


def run(job):
    """The whole rule: the controls folder (written whole or not at all) and its truth table."""
    p = job.params.controls
    with atomic_path(job.output.controls, is_dir=True) as folder:
        table = write_controls(folder, seconds=p["seconds"], rate=job.params.rate,
                               seed=p["seed"], frequency=p["frequency"])
    with atomic_path(job.output.truth) as tmp:
        table.to_csv(tmp, index=False)
    log.info("controls:\n%s", table)
    return table
