"""Running a rule's entry point: logging to the rule's log, one clear line for bad input, the
Keras backend, and the settings a training backup must match."""

import contextlib
import hashlib
import logging
import os
import sys
from pathlib import Path

from .config import ConfigError
from .errors import InputError

log = logging.getLogger("audiorepro")
PACKAGE = Path(__file__).resolve().parent


def run(snakemake, main):
    """Call ``main(snakemake)``; bad input ends the job with one line naming the file and problem."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(snakemake.log[0], mode="a"))  # after start-up notices
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    try:
        main(snakemake)
    except (InputError, ConfigError) as err:
        log.error("ERROR in rule %s: %s", snakemake.rule, err)
        sys.exit(1)


@contextlib.contextmanager
def native_stderr_to(path):
    """Send what native code writes to the process's stderr (file descriptor 2: TensorFlow's C++
    start-up notices, a notebook kernel's output) to ``path`` instead of the console for the
    block, unless TF_CPP_MIN_LOG_LEVEL=0 asks for everything. Python's own errors still reach
    the console: the descriptor is restored before an exception leaves the block."""
    if path is None or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as target:
        os.dup2(target.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def use_backend(snakemake):
    """Select the rule's Keras backend (``params.backend``; KERAS_BACKEND in the environment
    wins) and import Keras, its start-up notices going to the job's log rather than the console
    (TF_CPP_MIN_LOG_LEVEL=0 shows them)."""
    os.environ.setdefault("KERAS_BACKEND", snakemake.params.backend)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_to(snakemake.log[0] if snakemake.log else None):
        import keras  # noqa: F401
    return os.environ["KERAS_BACKEND"]


def backup_dir(model_path):
    """Where a training rule keeps its resume state: beside the model, not a declared output, so
    that Snakemake's clean-up of an interrupted job's outputs leaves it for the rerun."""
    return Path(model_path).parent / "backup"


def code_version():
    """A hash of the package's source, so a backup made by other code is not reused."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def training_settings(snakemake):
    """Everything a training run's result depends on: the rule's parameters and wildcards, its
    input files (size and time), the backend and the code."""
    return {
        "rule": snakemake.rule,
        "params": {k: v for k, v in snakemake.params.items()},
        "wildcards": dict(snakemake.wildcards.items()),
        "inputs": {str(p): [Path(p).stat().st_size, Path(p).stat().st_mtime_ns]
                   for p in snakemake.input},
        "backend": os.environ.get("KERAS_BACKEND"),
        "code": code_version(),
    }
