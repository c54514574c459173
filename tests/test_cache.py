"""Snakemake's between-workflow output cache (docs/cache.md): a model trained in one clone with
``--cache`` is served to a second clone from the shared SNAKEMAKE_OUTPUT_CACHE folder, byte for
byte and without a training job, and is trained again there once its code changes.

One grid point of sorting's tiny configuration (a one-epoch model) keeps it to about a minute."""

import os
import re

import pytest

from conftest import copy_workflow, run_snakemake

pytestmark = pytest.mark.workflow

MODEL = "results/sorting/models/tone_clean_0.01s_n3_random_per_gap_e8/seed0"
TARGET = f"{MODEL}/metrics.json"
FILES = ("model.keras", "history.csv", "metrics.json")
LOG = "results/sorting/logs/train_tone_clean_0.01s_n3_random_per_gap_e8_seed0.log"


def stored(out):
    """The files a job made and moved into the cache (then linked back from it)."""
    return set(re.findall(r"Moving output file (\S+) to cache", out))


def served(out):
    """The files linked from the cache without being made by this run."""
    return set(re.findall(r"Symlinking output file (\S+) from cache", out)) - stored(out)


@pytest.fixture(scope="module")
def clones(tmp_path_factory):
    """Clone A trains the model with --cache; clone B then asks for the same target."""
    cache = tmp_path_factory.mktemp("output-cache")
    a = copy_workflow(tmp_path_factory.mktemp("clone-a"))
    b = copy_workflow(tmp_path_factory.mktemp("clone-b"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SNAKEMAKE_OUTPUT_CACHE", str(cache))
        # the target before --cache, which would take it for a rule name
        first = run_snakemake(a, TARGET, "--cache", snakefile=a / "Snakefile")
        second = run_snakemake(b, TARGET, "--cache", snakefile=b / "Snakefile")
        yield {"a": a, "b": b, "cache": cache, "first": first.stdout + first.stderr,
               "second": second.stdout + second.stderr}


def test_the_first_clone_trains_and_stores_the_model_in_the_cache(clones):
    assert stored(clones["first"]) == {f"{MODEL}/{f}" for f in FILES}
    assert not served(clones["first"])
    assert sorted(n.partition("_")[2] for n in os.listdir(clones["cache"])) == [
        "history.csv", "metrics.json", "model.keras"]
    assert "accuracy" in (clones["a"] / LOG).read_text()  # the training ran and logged


def test_the_second_clone_is_served_from_the_cache_without_training(clones):
    out = clones["second"]
    assert served(out) == {f"{MODEL}/{f}" for f in FILES}
    assert not stored(out)  # nothing was trained, so nothing new to store
    assert (clones["b"] / LOG).read_text() == ""  # the training script never ran
    for name in FILES:
        a, b = clones["a"] / MODEL / name, clones["b"] / MODEL / name
        assert b.read_bytes() == a.read_bytes()
    # a coherent model folder: the three outputs and no resume backup beside them
    assert sorted(p.name for p in (clones["b"] / MODEL).iterdir()) == sorted(FILES)


def test_an_edit_of_the_model_code_trains_again(clones):
    b = clones["b"]
    model_py = b / "scripts" / "audiorepro" / "sorting" / "model.py"
    model_py.write_text(model_py.read_text() + "\n# an edit: the cache's hash must change\n")
    out = run_snakemake(b, TARGET, "--cache", snakefile=b / "Snakefile")
    out = out.stdout + out.stderr
    assert "rule sorting_train:" in out
    assert not served(out)
    assert stored(out) == {f"{MODEL}/{f}" for f in FILES}  # trained, then stored anew
    assert "accuracy" in (b / LOG).read_text()
    assert len({n.partition("_")[0] for n in os.listdir(clones["cache"])}) == 2  # two hashes
