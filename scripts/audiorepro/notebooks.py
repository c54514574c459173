"""The figures rules: a study's notebook executed by papermill, its figures the outputs."""

import os
from pathlib import Path

from . import rule

SCRIPTS = Path(__file__).resolve().parents[1]  # on the kernel's PYTHONPATH: the package


def run(job):
    """Execute ``job.input.notebook`` into ``job.output.notebook`` with ``job.params.parameters``
    (the kernel's stderr, TensorFlow's start-up notices among it, to the job's log); every other
    output must exist afterwards, or the job fails naming those it lacks."""
    import papermill

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS),
                                                             os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    parameters = dict(job.params.parameters)
    Path(parameters["fig_dir"]).mkdir(parents=True, exist_ok=True)
    with rule.native_stderr_to(job.log[0] if job.log else None):
        papermill.execute_notebook(job.input.notebook, job.output.notebook,
                                   parameters=parameters, kernel_name="python3",
                                   progress_bar=False, cwd=os.getcwd(), log_output=False)
    missing = [f for f in job.output if not Path(f).exists()]
    if missing:
        raise RuntimeError(f"the notebook did not write: {', '.join(missing)}")
