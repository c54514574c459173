"""The whole workflow on the tiny configuration, in a temporary folder (a few minutes)."""

import json
import re

import pandas as pd
import pytest
from PIL import Image

from conftest import run_snakemake

pytestmark = pytest.mark.workflow

CATSDOGS_FIGURES = ["audio_beginning.png", "model_acc.png", "model_summary.txt", "dog_main_ex.png",
                    "predict_dog_test.txt", *[f"activ_{i}.png" for i in range(1, 11)],
                    "dog_main_pooling_output.png", "global_pooling_second_dog.png",
                    "global_pooling_cat_1.png", "sigmoid_weights.png", "filter_weights.png"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("workflow")
    run_snakemake(workdir)
    return workdir


def test_every_catsdogs_target_is_built(built):
    assert len(CATSDOGS_FIGURES) == 20
    for protocol in ("original", "clean"):
        figures = built / "results" / "catsdogs" / "figures" / protocol
        for name in CATSDOGS_FIGURES:
            assert (figures / name).stat().st_size > 0, name
            if name.endswith(".png"):
                with Image.open(figures / name) as image:
                    assert image.size[0] > 200 and image.size[1] > 100
        assert (figures / "catsdogs.ipynb").exists()
        metrics = json.loads((built / "results/catsdogs/models" / protocol / "metrics.json").read_text())
        assert metrics["parameters"] == {"total": 4151, "trainable": 3951, "non_trainable": 200}
        assert 0 <= metrics["best_validation_accuracy"] <= 1
        assert metrics["device"]["backend"] == "tensorflow"
        history = pd.read_csv(built / "results/catsdogs/models" / protocol / "history.csv")
        assert len(history) == 2 and {"accuracy", "val_accuracy", "loss"} <= set(history.columns)
    assert "P(dog) = " in (built / "results/catsdogs/figures/original/predict_dog_test.txt").read_text()
    assert "Trainable params: 3,951" in (built / "results/catsdogs/figures/original/model_summary.txt").read_text()


def test_split_tables_follow_their_protocols(built):
    splits = built / "results" / "catsdogs" / "splits"
    clean = pd.read_csv(splits / "clean.csv")
    assert clean.file.is_unique and set(clean.split) == {"train", "validation", "test"}
    original = pd.read_csv(splits / "original.csv")
    test = set(original.file[original.split == "test"])
    assert len(test) == 4 and test <= set(original.file[original.split != "test"])


def test_nothing_reruns_and_one_setting_reruns_only_what_depends_on_it(built, tmp_path):
    again = run_snakemake(built, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    change = tmp_path / "epochs.yaml"
    change.write_text("catsdogs:\n  training:\n    epochs: 3\n")
    from conftest import TINY
    plan = run_snakemake(built, "-n", configfiles=[TINY, change]).stdout
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", plan, re.M))
    assert jobs.get("catsdogs_train") == "2" and jobs.get("catsdogs_figures") == "2"
    assert "catsdogs_raw" not in jobs and "catsdogs_decode" not in jobs and "catsdogs_split" not in jobs


def test_truncated_wav_in_a_local_source_stops_with_its_name(tmp_path):
    from audiorepro import synth_catsdogs

    synth_catsdogs.generate(tmp_path / "mine", n_cats=4, n_dogs=4, missing_cat_numbers=[],
                            n_test_cats=1, n_test_dogs=1, min_seconds=1.0, max_seconds=2.0,
                            total_seconds=12.0, rate=16000, seed=0)
    victim = tmp_path / "mine" / "cats_dogs" / "cat_2.wav"
    victim.write_bytes(victim.read_bytes()[:3000])
    local = tmp_path / "local.yaml"
    local.write_text(f"catsdogs:\n  source:\n    kind: local\n    local_path: {tmp_path / 'mine'}\n")
    from conftest import TINY
    work = tmp_path / "work"
    work.mkdir()
    proc = run_snakemake(work, "results/catsdogs/audio/clips.csv", configfiles=[TINY, local], check=False)
    assert proc.returncode != 0
    assert re.search(r"ERROR in rule catsdogs_decode: \S*cat_2.wav: truncated: header declares \d+ frames",
                     proc.stdout + proc.stderr)
    assert not (work / "results/catsdogs/audio/clips.csv").exists()
    assert not (work / "results/catsdogs/audio/samples.npy").exists()
    staging = [p for p in (work / "results/catsdogs").rglob(".*") if p.name != ".snakemake_timestamp"]
    assert staging == []
