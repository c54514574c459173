"""Every model family of the workflow trained and run on the JAX and PyTorch backends (the models
use keras.ops only).

Opt-in: AUDIOREPRO_BACKENDS=jax,torch (or =1 for both; CI sets it). Each backend's CPU build is
installed into a folder of its own for the test (not into the environment). Then, on the smaller
configuration tests/config/backends.yaml (tiny.yaml with one model of each family and one seed),
every training and inference rule (the model steps, archive.trained_rules) runs from raw data, and so
does catsdogs' figures notebook, which loads the trained model and probes its layers: every
training rule records the backend. The targets are the files those rules write, listed by a dry
run, rather than `--until` the rules (Snakemake stops an --until run of rules that follow one
another at 'out of jobs ready to be started', snakemake issue 823). The other figures, the
replicates and the claims read files only and are the same on every backend: the TensorFlow run of
the other workflow tests builds them.
"""

import json
import os
import subprocess
import sys

import pytest

from audiorepro.archive import trained_rules
from conftest import ROOT, SNAKEMAKE, TINY

pytestmark = pytest.mark.workflow

# CPU builds, without their dependencies that the environment already has (numpy, scipy,
# ml_dtypes, jinja2, typing-extensions): jax's wheels are CPU-only; torch 2.13.0 is the CPU build
# this machine keeps beside pip (find-links), which pip prefers to PyPI's CUDA build.
PACKAGES = {"jax": ["jax==0.10.2", "jaxlib==0.10.2"],
            "torch": ["torch==2.13.0", "filelock", "sympy>=1.13.3", "mpmath", "networkx>=2.5.1",
                      "fsspec>=0.8.5"]}
CONFIGS = (TINY, ROOT / "tests" / "config" / "backends.yaml")
# besides the training and inference rules: the notebook that loads a trained model
MODEL_READERS = ("catsdogs_figures",)
# the trained models of backends.yaml: catsdogs' CNN, whales' AlexNet and GoogLeNet,
# continuation's LSTM, sorting's network, orcas' LSTM and its baseline
MODELS = {"catsdogs": ["clean/seed1"],
          "whales": ["digits/alexnet_lr0.01/seed1", "digits/googlenet_lr0.01/seed1"],
          "continuation": ["clean/seed1"],
          "sorting": ["tone_clean_0.01s_n3_random_per_gap_e8/seed0"],
          "orcas": ["baseline/seed1", "lstm/seed1"]}


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


def snakemake(work, env, *args):
    cmd = [str(SNAKEMAKE), *args, "-s", str(ROOT / "Snakefile"), "--directory", str(work),
           "--cores", "2", "--resources", "gpu=1", "--configfile", *map(str, CONFIGS)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work)


def model_targets(work, env):
    """{rule: [files]} of the training, inference and model-reading rules, from a dry run's
    summary of every file the configuration's workflow would write."""
    proc = snakemake(work, env, "--dry-run", "--detailed-summary")
    assert proc.returncode == 0, proc.stderr[-6000:]
    rules = {*trained_rules(ROOT), *MODEL_READERS}
    targets = {}
    for line in proc.stdout.splitlines()[1:]:  # output_file, date, rule, ...
        fields = line.split("\t")
        if len(fields) > 2 and fields[2] in rules:
            targets.setdefault(fields[2], []).append(fields[0])
    return targets


@pytest.mark.parametrize("backend", sorted(PACKAGES))
def test_every_model_family_trains_and_runs_on_the_backend(backend, tmp_path_factory):
    if backend not in wanted():
        pytest.skip(f"opt-in: AUDIOREPRO_BACKENDS={backend} (or =1) runs it")
    site = tmp_path_factory.mktemp(f"{backend}-site")
    install(backend, site)
    work = tmp_path_factory.mktemp(f"{backend}-work")
    env = {**os.environ, "KERAS_BACKEND": backend,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    targets = model_targets(work, env)
    # every rule that trains or runs a network, and the notebook that loads one
    assert set(targets) == {*trained_rules(ROOT), *MODEL_READERS}, sorted(targets)
    files = sorted(f for paths in targets.values() for f in paths)
    proc = snakemake(work, env, *files)
    assert proc.returncode == 0, proc.stderr[-6000:]
    for path in files:
        assert (work / path).stat().st_size > 0, path
    metrics = sorted((work / "results").glob("*/models/**/metrics.json"))
    assert sorted(str(p.relative_to(work / "results").parent) for p in metrics) == sorted(
        f"{study}/models/{model}" for study, models in MODELS.items() for model in models)
    for path in metrics:
        device = json.loads(path.read_text())["device"]
        assert device["backend"] == backend, path
    # the inference rules ran on the trained networks: orcas' scans, continuation's generation
    for network, units in (("lstm", 8), ("baseline", 16)):
        scan = json.loads((work / f"results/orcas/models/{network}/seed1/units.json").read_text())
        assert len(scan["correlations"]) == units
    generation = json.loads(
        (work / "results/continuation/models/clean/seed1/generation.json").read_text())
    assert generation["generated_frames"] > 0
    summary = (work / "results/catsdogs/figures/clean/model_summary.txt").read_text()
    assert "Trainable params: 3,951" in summary  # the notebook loaded the backend's model
    assert not (work / "results" / "claims.csv").exists()  # what reads files only is left out
