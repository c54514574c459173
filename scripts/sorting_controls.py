"""Rule sorting_controls: the controls as the original made them: white noise, a tone tiled from
one whole-sample cycle, and a plain sine (for the claim that tiling made no difference)."""

import pandas as pd

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.sorting.data import CONTROL_FILES
from audiorepro.sorting.synth import write_control


def main(snakemake):
    p = snakemake.params.controls
    rows = []
    with atomic_path(snakemake.output.controls, is_dir=True) as folder:
        for kind, name in CONTROL_FILES.items():
            truth = write_control(folder / name, kind, seconds=p["seconds"],
                                  rate=snakemake.params.rate, seed=p["seed"],
                                  frequency=p["frequency"])
            rows.append({"file": name, "kind": kind, **truth})
    table = pd.DataFrame(rows)
    with atomic_path(snakemake.output.truth) as tmp:
        table.to_csv(tmp, index=False)
    rule.log.info("controls:\n%s", table)


rule.run(snakemake, main)  # noqa: F821
