"""Shared test helpers: the repository root, a runner for the workflow, tiny data on disk."""

import io
import os
import subprocess
import zipfile
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TINY = ROOT / "tests" / "config" / "tiny.yaml"

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")


WORKFLOW_PARTS = ("Snakefile", "rules", "scripts", "config", "reports", "envs", "profiles")


def copy_workflow(target):
    """A copy of the workflow's source (rules, package, notebooks, config) that a test may edit."""
    import shutil

    target = Path(target)
    for part in WORKFLOW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, target / part)
    return target


def run_snakemake(workdir, *args, configfiles=(TINY,), check=True, snakefile=None):
    """Run the workflow with its working directory in ``workdir``; return the finished process."""
    snakefile = snakefile or ROOT / "Snakefile"
    cmd = [str(SNAKEMAKE), *args, "-s", str(snakefile), "--directory", str(workdir),
           "--cores", "2", "--resources", "gpu=1"]
    if configfiles:
        cmd += ["--configfile", *map(str, configfiles)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


# `make test` runs the tests on two or more processes (pytest-xdist, --dist loadgroup). A session
# fixture is per process, so every test of the shared tiny run (`built` and what builds on it) is
# one group on one process, which builds that run once; every other test stays with its module,
# whose fixtures (a SLURM cluster, a backend's install, an S3 server, local folders) are then
# made once.
SHARED_RUN = {"built", "built_report", "source"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        if SHARED_RUN & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("tiny-run"))
        else:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture
def tone():
    """One second of a 440-Hz tone as int16 at 16 kHz."""
    t = np.arange(16000) / 16000
    return (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)


def zip_bytes(entries):
    """A zip archive in memory: {name inside the archive: contents}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="session")
def source(tmp_path_factory):
    """The workflow's source, copied so that the code-change tests may edit it."""
    return copy_workflow(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="session")
def built(tmp_path_factory, source):
    workdir = tmp_path_factory.mktemp("workflow")
    run_snakemake(workdir, snakefile=source / "Snakefile")
    return workdir


@pytest.fixture(scope="session")
def built_report(built, tmp_path_factory):
    """The tiny run's report (`snakemake --report`), built once for the tests that read it
    (test_workflow's figure list, test_report's browser); (path, seconds it took)."""
    import time

    report = tmp_path_factory.mktemp("report") / "report.html"
    start = time.monotonic()
    run_snakemake(built, "--report", str(report))
    return report, time.monotonic() - start
