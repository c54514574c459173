"""The whole workflow on the tiny configuration, in a temporary folder (a few minutes)."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import run_snakemake

pytestmark = pytest.mark.workflow

from audiorepro.catsdogs.figures import figure_names
from audiorepro.whales.figures import FIGURES as WHALES_DRAWN, SWEEP_TABLE

CATSDOGS_FIGURES = figure_names(blocks=10)
WHALES_FIGURES = [*WHALES_DRAWN, SWEEP_TABLE]


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
    from audiorepro.catsdogs import synth as synth_catsdogs

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


def test_every_whales_target_is_built(built):
    whales = built / "results" / "whales"
    figures = whales / "figures" / "digits"
    for name in WHALES_FIGURES:
        assert (figures / name).stat().st_size > 0, name
    with Image.open(figures / "train4.png") as image:
        assert image.size[1] > 800  # the notebook's 20 x 10 inch figure, the tall image at full height
    sweep = pd.read_csv(figures / "lr_sweep.csv")
    assert sweep.model.tolist() == ["alexnet_lr0.01", "alexnet_lr0.05", "googlenet_lr0.01"]
    assert sweep.final_validation_accuracy.between(0, 1).all() and sweep.roc_auc.notna().all()
    # the digits split: the first 90 % of train.csv rows train, the rest validate
    table = pd.read_csv(whales / "splits" / "digits.csv")
    assert len(table) == 300 and table.split.iloc[:270].eq("train").all()
    assert table.split.iloc[270:].eq("validation").all()
    counts = pd.read_csv(whales / "splits" / "digits_class_counts.csv", index_col="split")
    assert counts.values.sum() == 300 and counts.loc["validation"].sum() == 30
    stratified = pd.read_csv(whales / "splits" / "stratified.csv")
    assert stratified.clip_name.is_unique and len(stratified) == 300
    # one PNG per training clip, 30 wide and 129 tall, and the packed array agrees with them
    pngs = sorted((whales / "features" / "train").glob("*.png"))
    assert len(pngs) == 300
    packed = np.load(whales / "features" / "images.npy")
    clips = pd.read_csv(whales / "features" / "clips.csv")
    row = clips.index[clips.clip_name == "train6.aiff"][0]
    with Image.open(whales / "features" / "train" / "train6.png") as image:
        assert image.size == (30, 129) and image.mode == "L"
        assert np.array_equal(np.asarray(image), packed[row])
    for variant in sweep.model:
        metrics = json.loads((whales / "models" / "digits" / variant / "metrics.json").read_text())
        assert metrics["clips"] == {"train": 270, "validation": 30}
        assert metrics["device"]["accelerator"] == "cpu"
        assert len(pd.read_csv(whales / "models" / "digits" / variant / "predictions.csv")) == 30


def test_report_holds_every_figure(built):
    run_snakemake(built, "--report", "report.html")
    html = (built / "report.html").read_text(errors="replace")
    for name in ["activ_10.png", "filter_weights.png", "roc.png", "model_list.png"]:
        assert name in html, name
