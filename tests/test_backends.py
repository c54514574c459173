"""The whole tiny workflow on the JAX and PyTorch backends (the models use keras.ops only).

Opt-in: AUDIOREPRO_BACKENDS=jax,torch (or =1 for both; CI sets it). Each backend's CPU build is
installed into a folder of its own for the test (not into the environment), then every study
runs on it from raw data to figures and claims, and every training rule records the backend.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SNAKEMAKE, TINY

pytestmark = pytest.mark.workflow

# CPU builds, without their dependencies that the environment already has (numpy, scipy,
# ml_dtypes, jinja2, typing-extensions): jax's wheels are CPU-only; torch 2.13.0 is the CPU build
# this machine keeps beside pip (find-links), which pip prefers to PyPI's CUDA build.
PACKAGES = {"jax": ["jax==0.10.2", "jaxlib==0.10.2"],
            "torch": ["torch==2.13.0", "filelock", "sympy>=1.13.3", "mpmath", "networkx>=2.5.1",
                      "fsspec>=0.8.5"]}


def wanted():
    value = os.environ.get("AUDIOREPRO_BACKENDS", "")
    if value == "1":
        return set(PACKAGES)
    return {b.strip() for b in value.split(",") if b.strip()}


def install(backend, target):
    """pip-install the backend into ``target`` (its own folder on PYTHONPATH for the run)."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", "--target", str(target), *PACKAGES[backend]]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"could not install {backend}: {proc.stderr[-2000:]}")


@pytest.mark.parametrize("backend", sorted(PACKAGES))
def test_the_tiny_workflow_runs_on_the_backend(backend, tmp_path_factory):
    if backend not in wanted():
        pytest.skip(f"opt-in: AUDIOREPRO_BACKENDS={backend} (or =1) runs it")
    site = tmp_path_factory.mktemp(f"{backend}-site")
    install(backend, site)
    work = tmp_path_factory.mktemp(f"{backend}-work")
    env = {**os.environ, "KERAS_BACKEND": backend,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(work),
                           "--cores", "2", "--resources", "gpu=1", "--configfile", str(TINY)],
                          capture_output=True, text=True, env=env, cwd=work)
    assert proc.returncode == 0, proc.stderr[-6000:]
    metrics = sorted((work / "results").glob("*/models/**/metrics.json"))
    assert len(metrics) >= 5 + 3 + 2 + 2 + 2  # sorting points, whales sweep, the others
    for path in metrics:
        device = json.loads(path.read_text())["device"]
        assert device["backend"] == backend, path
    assert (work / "results" / "claims.csv").exists()
