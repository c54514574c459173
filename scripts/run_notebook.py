"""Rules <study>_figures: execute a study's notebook with papermill; its figures are the outputs."""

import os
import sys
from pathlib import Path

from audiorepro import rule


def main(snakemake):
    import papermill

    scripts = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [scripts, os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    parameters = dict(snakemake.params.parameters)
    Path(parameters["fig_dir"]).mkdir(parents=True, exist_ok=True)
    # the kernel's own stderr (TensorFlow's start-up notices) goes to the job's log
    with rule.native_stderr_to(snakemake.log[0] if snakemake.log else None):
        papermill.execute_notebook(snakemake.input.notebook, snakemake.output.notebook,
                                   parameters=parameters, kernel_name="python3",
                                   progress_bar=False, cwd=os.getcwd(), log_output=False)
    missing = [f for f in snakemake.output if not Path(f).exists()]
    if missing:
        rule.log.error("the notebook did not write: %s", ", ".join(missing))
        sys.exit(1)


rule.run(snakemake, main)
