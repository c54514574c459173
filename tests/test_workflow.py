"""The whole workflow on the tiny configuration, in a temporary folder (a few minutes)."""

import json
import os
import re

import numpy as np
import pandas as pd
import pytest
import soundfile
from PIL import Image

from conftest import TINY, run_snakemake

from audiorepro.catsdogs.figures import FIGURES as CATSDOGS_DRAWN
from audiorepro.plots import figure_files
from audiorepro.whales.figures import FIGURES as WHALES_DRAWN, SWEEP_TABLE

pytestmark = pytest.mark.workflow

CATSDOGS_FIGURES = figure_files(CATSDOGS_DRAWN, k=range(1, 11))
WHALES_FIGURES = [*WHALES_DRAWN, SWEEP_TABLE]


def planned_jobs(workdir, source, *args, configfiles=(TINY,)):
    """{rule: job count} of a dry run."""
    plan = run_snakemake(workdir, "-n", *args, configfiles=configfiles,
                         snakefile=source / "Snakefile")
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", plan.stdout, re.M)
            if rule not in ("total", "all")}


def edited_plan(workdir, source, relative, text="\n# an edit\n"):
    """The dry-run plan after appending ``text`` to one source file, which is then restored
    (content and time) so that the next test starts from a plan with nothing to do."""
    path = source / relative
    before, stat = path.read_bytes(), path.stat()
    try:
        path.write_bytes(before + text.encode())
        return planned_jobs(workdir, source)
    finally:
        path.write_bytes(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


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
        seed = built / "results/catsdogs/models" / protocol / "seed1"  # the figures' model
        metrics = json.loads((seed / "metrics.json").read_text())
        assert metrics["parameters"] == {"total": 4151, "trainable": 3951, "non_trainable": 200}
        assert 0 <= metrics["best_validation_accuracy"] <= 1
        assert metrics["device"]["backend"] == "tensorflow"
        history = pd.read_csv(seed / "history.csv")
        assert len(history) == 2 and {"accuracy", "val_accuracy", "loss"} <= set(history.columns)
        # the tiny run's two seeds, summed up, and their spread drawn
        replicates = json.loads((seed.parent / "replicates.json").read_text())
        assert replicates["seeds"] == [1, 2] and replicates["replicates"] == 2
        accuracy = replicates["metrics"]["best_validation_accuracy"]
        assert accuracy["values"][0] == metrics["best_validation_accuracy"]
        assert accuracy["low"] <= accuracy["mean"] <= accuracy["high"]
        assert (built / "results/catsdogs/figures/replicates" / f"{protocol}.png").stat().st_size
    assert "P(dog) = " in (built / "results/catsdogs/figures/original/predict_dog_test.txt").read_text()
    assert "Trainable params: 3,951" in (built / "results/catsdogs/figures/original/model_summary.txt").read_text()


def test_split_tables_follow_their_protocols(built):
    splits = built / "results" / "catsdogs" / "splits"
    clean = pd.read_csv(splits / "clean.csv")
    assert clean.file.is_unique and set(clean.split) == {"train", "validation", "test"}
    original = pd.read_csv(splits / "original.csv")
    test = set(original.file[original.split == "test"])
    assert len(test) == 4 and test <= set(original.file[original.split != "test"])


def test_nothing_reruns_and_one_setting_reruns_only_what_depends_on_it(built, source, tmp_path):
    assert planned_jobs(built, source) == {}
    change = tmp_path / "epochs.yaml"
    change.write_text("catsdogs:\n  training:\n    epochs: 3\n")
    jobs = planned_jobs(built, source, configfiles=[TINY, change])
    # the protocols' seeds and C4's model, which trains as the model does; not the C5 grid,
    # which has a budget of its own
    assert jobs == {"catsdogs_train": 5, "catsdogs_figures": 2, "replicates": 3,
                    "catsdogs_ablations": 1, "claims": 1}
    more = tmp_path / "seeds.yaml"  # one more seed: its training only, and what sums them up
    more.write_text("catsdogs:\n  replicates: 3\n")
    jobs = planned_jobs(built, source, configfiles=[TINY, more])
    assert jobs == {"catsdogs_train": 2, "replicates": 2, "catsdogs_ablations": 1, "claims": 1}


def test_the_default_run_trains_the_ablations_and_ablations_false_skips_them(source, tmp_path):
    jobs = planned_jobs(tmp_path, source)
    # the protocols' 2 seeds each, C4's model, the grid's 2 points (k4s2 on the grid's budget)
    assert jobs["catsdogs_train"] == 7 and jobs["catsdogs_ablations"] == 1
    assert jobs["continuation_train"] == 3  # original, clean and N7's min-centred variant
    off = tmp_path / "off.yaml"
    off.write_text("ablations: false\n")
    jobs = planned_jobs(tmp_path, source, configfiles=[TINY, off])
    assert jobs["catsdogs_train"] == 4 and "catsdogs_ablations" not in jobs
    assert jobs["continuation_train"] == 2


def test_the_declared_steps_are_the_rules_snakemake_has(source, tmp_path):
    """What provenance (the code hash) and the archive (the trained rules) read from
    rules/<study>.smk is every rule of the study that Snakemake makes."""
    from audiorepro.provenance import declared_steps

    listed = run_snakemake(tmp_path, "--list-rules", snakefile=source / "Snakefile").stdout.split()
    for study in ("catsdogs", "continuation", "orcas", "sorting", "whales"):
        assert {name for _, name in declared_steps(source, study)} == {
            r for r in listed if r.startswith(f"{study}_")}, study


def test_a_protocol_the_configuration_does_not_list_is_still_built_where_needed(source, tmp_path):
    """A split protocol outside <study>.protocols that the run needs all the same: whales'
    split.train_on, the protocol N7's min-centred continuation is based on (original)."""
    odd = tmp_path / "odd.yaml"
    odd.write_text("whales:\n  protocols: [digits]\n  split: {train_on: stratified}\n"
                   "continuation:\n  protocols: [clean]\n")
    jobs = planned_jobs(tmp_path, source, configfiles=[TINY, odd])
    assert jobs["whales_split"] == 2 and jobs["whales_train"] == 3  # stratified, and digits
    assert jobs["continuation_split"] == 2 and jobs["continuation_train"] == 2  # clean, original-min


WHALES_AFTER_TRAINING = {"whales_train": 3, "whales_sweep": 1, "whales_figures": 1,
                         "replicates": 3, "claims": 1}
SORTING_AFTER_TRAINING = {"sorting_train": 10, "sorting_collect": 1, "sorting_figures": 1,
                          "claims": 1}
ORCAS_AFTER_TRAINING = {"orcas_train": 2, "orcas_scan": 2, "orcas_figures": 1, "replicates": 2,
                        "claims": 1}
REPLICATED = 13  # variants summed up by the replicates rule: catsdogs 5 (2 protocols, C4's
# model, the C5 grid's 2 points), whales 3, orcas 2, continuation 3 (N7's min-centred one too)
CATSDOGS_AFTER_TRAINING = {"catsdogs_train": 7, "catsdogs_figures": 2, "replicates": 5,
                           "catsdogs_ablations": 1, "claims": 1}
CONTINUATION_AFTER_TRAINING = {"continuation_train": 3, "continuation_generate": 3,
                               "continuation_figures": 2, "replicates": 3, "claims": 1}


@pytest.mark.parametrize("relative, expected", [
    # a study's model: its training and everything downstream of it, nothing of other studies
    ("scripts/audiorepro/catsdogs/model.py", CATSDOGS_AFTER_TRAINING),
    ("scripts/audiorepro/whales/model.py", WHALES_AFTER_TRAINING),
    # a study's figures: only that study's figures
    ("scripts/audiorepro/catsdogs/figures.py", {"catsdogs_figures": 2}),
    # sorting's claim rules: the collect rule and what reads its table, no grid training
    ("scripts/audiorepro/sorting/verdicts.py", {"sorting_collect": 1, "sorting_figures": 1,
                                                "claims": 1}),
    ("scripts/audiorepro/whales/figures.py", {"whales_figures": 1}),
    # a shared module: every rule of every study that imports it, and what depends on those
    ("scripts/audiorepro/continuation/generate.py", {"continuation_generate": 3,
                                                     "continuation_figures": 2, "replicates": 3,
                                                     "claims": 1}),
    ("scripts/audiorepro/training.py", {**CATSDOGS_AFTER_TRAINING,
                                        **WHALES_AFTER_TRAINING, **CONTINUATION_AFTER_TRAINING,
                                        **SORTING_AFTER_TRAINING, **ORCAS_AFTER_TRAINING,
                                        "replicates": REPLICATED}),
    # every figures rule, and the replicates rule that draws the spread (then the claims)
    ("scripts/audiorepro/plots.py", {"catsdogs_figures": 2, "whales_figures": 1,
                                     "continuation_figures": 2, "sorting_figures": 1,
                                     "orcas_figures": 1, "replicates": REPLICATED,
                                     "catsdogs_ablations": 1, "claims": 1}),
])
def test_a_code_edit_reruns_exactly_what_depends_on_it(built, source, relative, expected):
    assert edited_plan(built, source, relative, "\nEDITED = True\n") == expected
    assert planned_jobs(built, source) == {}  # restored: nothing to do again


def test_a_comment_is_an_edit_too_and_touch_marks_outputs_current(built, source):
    path = source / "scripts/audiorepro/whales/evaluate.py"
    assert edited_plan(built, source, path.relative_to(source), "# a comment\n") == {
        **WHALES_AFTER_TRAINING}
    before = path.read_bytes()
    path.write_bytes(before + b"# a comment\n")
    try:
        # what the README tells a reviewer to do after an edit that cannot change results
        run_snakemake(built, "--touch", snakefile=source / "Snakefile")
        assert planned_jobs(built, source) == {}
    finally:
        path.write_bytes(before)
        run_snakemake(built, "--touch", snakefile=source / "Snakefile")


def test_truncated_wav_in_a_local_source_stops_with_its_name(tmp_path):
    from audiorepro.catsdogs import synth as synth_catsdogs

    synth_catsdogs.generate(tmp_path / "mine", n_cats=4, n_dogs=4, missing_cat_numbers=[],
                            n_test_cats=1, n_test_dogs=1, min_seconds=1.0, max_seconds=2.0,
                            total_seconds=12.0, rate=16000, seed=0)
    victim = tmp_path / "mine" / "cats_dogs" / "cat_2.wav"
    victim.write_bytes(victim.read_bytes()[:3000])
    local = tmp_path / "local.yaml"
    local.write_text(f"catsdogs:\n  source:\n    kind: local\n    local_path: {tmp_path / 'mine'}\n")
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
        seed = whales / "models" / "digits" / variant / "seed1"
        metrics = json.loads((seed / "metrics.json").read_text())
        assert metrics["clips"] == {"train": 270, "validation": 30}
        assert metrics["device"]["accelerator"] == "cpu"
        assert len(pd.read_csv(seed / "predictions.csv")) == 30
        replicates = json.loads((seed.parent / "replicates.json").read_text())
        assert replicates["seeds"] == [1]
        assert replicates["metrics"]["final_validation_accuracy"]["mean"] == \
            metrics["final_validation_accuracy"]


def test_report_holds_every_figure(built_report):
    html = built_report[0].read_text(errors="replace")
    for name in ["activ_10.png", "filter_weights.png", "roc.png", "model_list.png"]:
        assert name in html, name


def test_training_killed_mid_run_resumes_to_the_result_of_an_uninterrupted_run(tmp_path):
    """kill -9 during catsdogs_train, then the same command: the same history and metrics."""
    import signal
    import subprocess
    import time

    from conftest import ROOT, SNAKEMAKE

    longer = tmp_path / "longer.yaml"
    longer.write_text("catsdogs:\n  protocols: [clean]\n  training:\n    epochs: 6\n"
                      "    steps_per_epoch: 6\nstudies: [catsdogs]\n")
    configs = [TINY, longer]
    target = "results/catsdogs/models/clean/seed1/metrics.json"
    models = tmp_path / "results/catsdogs/models/clean/seed1"
    run_snakemake(tmp_path, target, configfiles=configs)
    reference = {name: (models / name).read_text() for name in ("history.csv", "metrics.json")}

    cmd = [str(SNAKEMAKE), target, "--forcerun", "catsdogs_train", "-s", str(ROOT / "Snakefile"),
           "--directory", str(tmp_path), "--cores", "2", "--resources", "gpu=1",
           "--configfile", *map(str, configs)]
    job = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    state = models / "backup" / "state.json"
    deadline = time.time() + 240
    while time.time() < deadline and job.poll() is None:
        if state.exists() and json.loads(state.read_text())["epoch"] >= 2:
            break
        time.sleep(0.05)
    assert job.poll() is None, "training finished before it could be interrupted"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    interrupted_at = json.loads(state.read_text())["epoch"]
    assert 2 <= interrupted_at < 6

    run_snakemake(tmp_path, "--unlock", configfiles=configs)
    run_snakemake(tmp_path, target, configfiles=configs)
    log = (tmp_path / "results/catsdogs/logs/train_clean_seed1.log").read_text()
    assert "resuming from the backup" in log and f"after epoch {interrupted_at}" in log
    history = pd.read_csv(models / "history.csv")
    assert history.epoch.tolist() == list(range(6))
    assert (models / "history.csv").read_text() == reference["history.csv"]
    timing = {"training_seconds", "resumed_from_epoch", "device"}
    resumed = json.loads((models / "metrics.json").read_text())
    expected = json.loads(reference["metrics.json"])
    assert resumed["resumed_from_epoch"] == interrupted_at
    assert {k: v for k, v in resumed.items() if k not in timing} == {
        k: v for k, v in expected.items() if k not in timing}
    assert not (models / "backup").exists()

    # a backup left under other settings is discarded with one log line, never reused
    (models / "backup").mkdir()
    (models / "backup" / "state.json").write_text(json.dumps({"fingerprint": "0" * 16, "epoch": 3}))
    other = tmp_path / "other.yaml"
    other.write_text("catsdogs:\n  training:\n    learning_rate: 0.02\n")
    run_snakemake(tmp_path, target, configfiles=[*configs, other])
    log = (tmp_path / "results/catsdogs/logs/train_clean_seed1.log").read_text()
    assert "discarding the backup" in log and "made under other settings" in log
    assert json.loads((models / "metrics.json").read_text())["resumed_from_epoch"] == 0


def test_every_continuation_target_is_built(built):
    from audiorepro.continuation.figures import FIGURES

    root = built / "results" / "continuation"
    for protocol in ("original", "clean"):
        for name in FIGURES:
            assert (root / "figures" / protocol / name).stat().st_size > 0, name
        seed = root / "models" / protocol / "seed1"
        metrics = json.loads((seed / "metrics.json").read_text())
        assert metrics["scaling"]["fitted_on"] == ("all" if protocol == "original" else "train")
        assert metrics["paper_size_parameters"] == 55_232_200
        generation = json.loads((seed / "generation.json").read_text())
        assert generation["generators"]["max_abs_difference"] < 1e-4
        audio, rate = soundfile.read(root / "figures" / protocol / "generated.wav", dtype="int16")
        assert rate == 16000 and len(audio) == (10 + 320) * 200  # seed + 4 s of generated frames
        split = pd.read_csv(root / "splits" / f"{protocol}.csv")
        assert split.split.tolist() == ["train", "valid", "test"]
        assert (split.start.iloc[1:].to_numpy() == split.end.iloc[:-1].to_numpy()).all()


def test_every_sorting_target_is_built(built):
    from audiorepro.sorting.figures import FIGURES

    root = built / "results" / "sorting"
    for name in FIGURES:
        assert (root / "figures" / name).stat().st_size > 0, name
    grid = pd.read_csv(root / "grid.csv")
    assert len(grid) == 5 and grid.accuracy.between(0, 1).all() and (grid.seeds == 2).all()
    seeds = pd.read_csv(root / "grid_seeds.csv")
    assert len(seeds) == 10 and sorted(set(seeds.seed)) == [0, 1]
    assert np.allclose(seeds.groupby("run").accuracy.mean().sort_index(),
                       grid.set_index("run").accuracy.sort_index())
    assert (grid.chance == 1 / grid.n_chunks).all()
    claims = json.loads((root / "claims.json").read_text())
    assert set(claims) == {f"S{i}" for i in range(1, 8)}


def test_every_orcas_target_is_built(built):
    from audiorepro.orcas.figures import FIGURES, activation_wav_names

    root = built / "results" / "orcas"
    for name in [*FIGURES, *activation_wav_names(2)]:
        assert (root / "figures" / name).stat().st_size > 0, name
    split = pd.read_csv(root / "splits" / "recordings.csv")
    assert sorted(split.split.value_counts().tolist()) == [1, 2]  # 0.64 of 3 tapes train
    for network, units in (("lstm", 8), ("baseline", 16)):
        metrics = json.loads((root / "models" / network / "seed1" / "units.json").read_text())
        assert len(metrics["correlations"]) == units
        assert metrics["files"] == split.wav[split.split == "heldout"].tolist()
    audio, rate = soundfile.read(root / "figures" / "activation_unit1.wav", dtype="int16")
    assert rate == 16000 and np.abs(audio).max() == 32767  # scaled to [-1, 1], held per output


def test_the_claims_table_lists_every_claim_of_every_study(built):
    table = pd.read_csv(built / "results" / "claims.csv")
    counts = table.groupby("study").size().to_dict()
    assert counts == {"catsdogs": 9, "whales": 7, "continuation": 9, "sorting": 7, "orcas": 6}
    kinds = table.verdict.str.partition(":")[0]
    assert kinds.isin(["holds", "differs", "inconclusive", "not testable on embedded data",
                       "see figure", "not run", "not measured", "not comparable"]).all(), \
        table.verdict.tolist()
    # no interval of zero width is shown, and none decides
    assert not [o for o in table.ours if re.search(r"CI (-?[0-9.]+)-\1\b", str(o))], table.ours
    row = table.set_index("id").loc["C6"]
    assert row.ours == "3,951 (every one of 2 seeds)" and row.verdict == "holds"
    assert "tensorflow/cpu" in row.device and "synthetic data" in row.configuration
    assert table.set_index("id").loc["N1"].verdict == "holds"
    # the ablations are in the default run, each with a verdict on its own numbers
    for claim in ("C4", "C5", "N7"):
        row = table.set_index("id").loc[claim]
        # (the tiny min-centred network of N7 learns nothing: then its comparison says so)
        assert row.verdict.partition(":")[0] in ("holds", "differs", "inconclusive",
                                                 "not comparable"), row.verdict
        assert any(c.isdigit() for c in row.ours), row.ours
    grid = json.loads((built / "results" / "catsdogs" / "ablations.json").read_text())["grid"]
    assert sorted(grid) == ["k4s1", "k4s2"]  # the tiny grid; k4s2 retrained on its budget
    assert (built / "results" / "catsdogs" / "models" / "original-k4s2" / "replicates.json").exists()
    # what each row rests on, the same for every row of a study
    assert table.commit.nunique() == 1 and table.commit.notna().all()
    assert table.groupby("study").code.nunique().eq(1).all() and table.code.nunique() == 5
    assert table.groupby("study").data.nunique().eq(1).all()
    md = (built / "results" / "claims.md").read_text()
    assert md.startswith("38 claims:") and "| C1 |" in md


def test_make_compare_prints_nothing_changed_for_a_run_against_itself(built, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_claims.py"),
                           str(built / "results"), str(built / "results" / "claims.csv")],
                          capture_output=True, text=True, env={**os.environ,
                                                               "PYTHONPATH": str(ROOT / "scripts")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["38 claims in A, 38 in B: 0 verdict(s) changed, "
                                        "0 number(s) changed"]


@pytest.mark.parametrize("target, staging_in, name", [
    ("results/whales/raw", "results/whales", ".raw.partial-"),  # a raw rule
    ("results/whales/features/images.npy", "results/whales/features", ".train.partial-"),  # render
])
def test_a_rerun_after_kill_9_leaves_no_staging_behind(tmp_path, target, staging_in, name):
    """kill -9 while a rule fills its staging folder; the same command again finishes the job
    and removes what the killed one left."""
    import signal
    import subprocess
    import time

    from conftest import ROOT, SNAKEMAKE

    bigger = tmp_path / "bigger.yaml"  # enough clips that the kill lands mid-write
    bigger.write_text("whales:\n  synthetic:\n    n_train: 3000\nstudies: [whales]\n")
    configs = [TINY, bigger]
    if "features" in target:
        run_snakemake(tmp_path, "results/whales/raw", configfiles=configs)
    cmd = [str(SNAKEMAKE), target, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
           "--cores", "2", "--resources", "gpu=1", "--configfile", *map(str, configs)]
    job = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    folder, deadline, seen = tmp_path / staging_in, time.time() + 120, []
    while time.time() < deadline and job.poll() is None and not seen:
        seen = [p for p in folder.glob(f"{name}*")] if folder.is_dir() else []
        time.sleep(0.01)
    assert seen and job.poll() is None, "the rule finished before its staging could be seen"
    time.sleep(0.3)  # let it write into the staging folder
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    assert any(p.exists() for p in seen)  # the killed job's debris

    run_snakemake(tmp_path, "--unlock", configfiles=configs)
    run_snakemake(tmp_path, target, configfiles=configs)
    assert (tmp_path / target).exists()
    left = [p for p in (tmp_path / "results").rglob("*.partial-*")]
    assert left == []
