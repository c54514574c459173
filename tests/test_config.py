"""The configuration, the environment pins and the workflow's plans (no jobs run here)."""

import copy
import re
import subprocess

import pytest
import yaml

from audiorepro.config import ConfigError, validate_config
from conftest import ROOT, SNAKEMAKE, TINY, run_snakemake

SCHEMA = ROOT / "config" / "schema.yaml"


def load(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def merged(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def test_default_paper_and_tiny_configurations_are_valid():
    default = load("config.yaml")
    validate_config(default, SCHEMA)
    validate_config(merged(default, load("paper.yaml")), SCHEMA)
    validate_config(merged(default, yaml.safe_load((ROOT / "tests/config/tiny.yaml").read_text())), SCHEMA)


def test_unknown_key_and_wrong_type_are_named():
    config = load("config.yaml")
    config["catsdogs"]["training"]["epochz"] = 3
    config["catsdogs"]["training"]["epochs"] = "15"
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    message = str(err.value)
    assert "config key catsdogs.training.epochz: unknown key" in message
    assert "config key catsdogs.training.epochs: '15' is of type str, expected integer" in message


@pytest.mark.workflow  # starts Snakemake (a plan or lint: seconds)
def test_bad_config_stops_the_workflow_with_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("catsdogs:\n  source:\n    kind: ftp\n")
    proc = run_snakemake(tmp_path, "-n", configfiles=[bad], check=False)
    assert proc.returncode != 0
    assert "config key catsdogs.source.kind: 'ftp' is not one of" in proc.stdout + proc.stderr


# --- the studies' data sources are checked at start-up --------------------------------------------

def with_source(study, **source):
    config = load("config.yaml")
    config["studies"] = [study]
    config[study]["source"] = {**config[study]["source"], **source}
    return config


def layout(root, *members):
    """Files (``name``) and folders (``name/``) under ``root``; returns ``root``."""
    for member in members:
        path = root / member
        if member.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
    return root


LOCAL_CASES = {
    # id: (study, folder contents or None for a path that does not exist, problem or None)
    "catsdogs-missing": ("catsdogs", None, "{path} does not exist"),
    "catsdogs-nested": ("catsdogs", ["a/b/cats_dogs/", "a/b/train_test_split.csv"], None),
    "catsdogs-no-csv": ("catsdogs", ["cats_dogs/cat_1.wav"],
                        "{path} holds no folder with cats_dogs/ and train_test_split.csv (looked "
                        "in it and every folder below it)"),
    "catsdogs-csv-and-folder-apart": ("catsdogs", ["x/cats_dogs/", "y/train_test_split.csv"],
                                      "{path} holds no folder with"),
    "whales-train-is-a-file": ("whales", ["train.csv", "train", "test/"],
                               "{path} holds no folder with train.csv, train/ and test/"),
    "whales-at-the-top": ("whales", ["train.csv", "train/", "test/"], None),
    "continuation-one-file": ("continuation", "file", None),
    "continuation-no-audio": ("continuation", ["notes.txt", "sub/"],
                              "{path} holds no audio file (.aac, .aif, .aifc, .aiff, .au, .caf, "
                              ".flac, .m4a, .mka, .mp3, .mp4, .oga, .ogg, .opus, .w64, .wav, "
                              ".webm, .wma, .wv)"),
    "sorting-opus": ("sorting", ["songs/voice memo.opus"], None),
    "continuation-deep-audio": ("continuation", ["a/b/Track.MP3"], None),
    "sorting-one-file": ("sorting", "file", "{path} is a file; it must be a folder"),
    "sorting-flac": ("sorting", ["songs/x.flac"], None),
    "orcas-empty-folder": ("orcas", [], "{path} holds no audio file"),
}


@pytest.mark.parametrize("case", LOCAL_CASES)
def test_local_source_is_checked_at_start_up_naming_the_key(tmp_path, case):
    study, contents, problem = LOCAL_CASES[case]
    path = tmp_path / "data"
    if contents == "file":
        path = layout(tmp_path, "track.wav") / "track.wav"
    elif contents is not None:
        layout(path, *contents).mkdir(exist_ok=True)
    config = with_source(study, kind="local", local_path=str(path))
    if problem is None:
        assert validate_config(config, SCHEMA) is config
        return
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert str(err.value).startswith(f"config key {study}.source.local_path: "
                                     + problem.format(path=path))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("study,source,message", [
    ("catsdogs", {"kind": "local", "local_path": None},
     "config key catsdogs.source.local_path: is not set; it must name the folder"),
    ("continuation", {"kind": "url", "urls": []},
     "config key continuation.source.urls: must list at least one {url, sha256} entry"),
    ("whales", {"kind": "kaggle", "kaggle": ""},
     "config key whales.source.kaggle: must name the Kaggle dataset"),
    ("sorting", {"kind": "kaggle", "kaggle": "someone/songs"},
     "config key sorting.source.kind: 'kaggle' is not a source of sorting (it takes synthetic, "
     "local, url)"),
    ("catsdogs", {"kind": "url", "urls": [{"url": "https://example.org/a.zip",
                                           "sha256": "0" * 64}]},
     "config key catsdogs.source.kind: 'url' is not a source of catsdogs (it takes synthetic, "
     "kaggle, local)"),
])
def test_a_source_kind_needs_its_keys(study, source, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config(with_source(study, **source), SCHEMA)


def test_only_the_studies_to_build_are_checked_and_each_problem_has_its_line(tmp_path):
    config = with_source("sorting", kind="local", local_path=str(tmp_path / "nowhere"))
    config["studies"] = ["catsdogs"]
    validate_config(config, SCHEMA)  # sorting is not built: its source is not looked at
    config["studies"] = ["catsdogs", "sorting", "continuation"]
    config["catsdogs"]["source"].update(kind="local", local_path=str(tmp_path / "cats"))
    config["continuation"]["source"].update(kind="url", urls=[])
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert str(err.value).splitlines() == [
        f"config key catsdogs.source.local_path: {tmp_path}/cats does not exist",
        f"config key sorting.source.local_path: {tmp_path}/nowhere does not exist",
        "config key continuation.source.urls: must list at least one {url, sha256} entry "
        "(source.kind is url)"]


@pytest.mark.workflow  # starts Snakemake (a plan or lint: seconds)
def test_a_missing_local_folder_stops_the_workflow_before_any_job(tmp_path):
    mine = tmp_path / "mine.yaml"
    folder = tmp_path / "audio-cats-and-dogs"
    mine.write_text(f"catsdogs:\n  source: {{kind: local, local_path: {folder}}}\n")
    proc = run_snakemake(tmp_path, "-n", configfiles=[TINY, mine], check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"config key catsdogs.source.local_path: {folder} does not exist" in output
    assert "catsdogs_raw" not in output and "Job stats" not in output  # nothing was planned
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".snakemake") == ["mine.yaml"]


TRAINING_RULES = {"catsdogs_train", "whales_train", "continuation_train", "continuation_generate",
                  "orcas_train", "orcas_scan", "sorting_train"}


def job_resources(plan):
    """{rule: set of (gpu, threads)} of the training and inference jobs of a dry run's output."""
    found = {}
    for block in re.split(r"\n(?=[ \t]*(?:local)?rule \w+:)", plan):  # grouped jobs: indented
        rule = re.match(r"\s*(?:local)?rule (\w+):", block)
        if rule and rule.group(1) in TRAINING_RULES:
            gpu = re.search(r"resources: .*\bgpu=(\d+)", block)
            threads = re.search(r"^\s+threads: (\d+)", block, re.M)
            found.setdefault(rule.group(1), set()).add(
                (int(gpu.group(1)) if gpu else 0, int(threads.group(1)) if threads else 1))
    return found


@pytest.mark.workflow  # starts Snakemake (a plan or lint: seconds)
def test_paper_configuration_and_slurm_profile_plan(tmp_path):
    paper = run_snakemake(tmp_path, "-n", configfiles=[ROOT / "config" / "paper.yaml"])
    # 2 protocols x the default's seeds (paper.yaml keeps them), C4's model and the 8 other
    # points of the grid, which trains on the model's budget in paper.yaml (so the model is its
    # ninth point)
    seeds = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["catsdogs"]["replicates"]
    paper_catsdogs = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())["catsdogs"]
    assert seeds == 5 and "replicates" not in paper_catsdogs
    assert re.search(rf"catsdogs_train\s+{2 * seeds + 1 + 8}\b", paper.stdout)
    slurm = run_snakemake(tmp_path, "-n", "--profile", str(ROOT / "profiles" / "slurm"), configfiles=())
    assert re.search(r"catsdogs_figures\s+2", slurm.stdout)
    # on the cluster every training job asks for a GPU, whatever the node Snakemake runs on has
    assert job_resources(slurm.stdout) == {rule: {(1, 2)} for rule in TRAINING_RULES}


@pytest.mark.workflow  # starts Snakemake (a plan or lint: seconds)
def test_training_jobs_hold_a_gpu_only_where_training_uses_one(tmp_path, monkeypatch):
    from audiorepro.scheduling import gpu_visible, training_resources

    assert training_resources(True) == (1, 2) and training_resources(False) == (0, 1)
    assert training_resources("auto", visible=lambda: True) == (1, 2)
    assert training_resources("auto", visible=lambda: False) == (0, 1)
    with pytest.raises(ValueError, match="gpu must be true, false or auto, not 'yes'"):
        training_resources("yes")
    # auto asks nvidia-smi: a listed GPU counts; an error, no device or no nvidia-smi do not
    tool = tmp_path / "bin" / "nvidia-smi"
    tool.parent.mkdir()
    monkeypatch.setenv("PATH", str(tool.parent))
    assert not gpu_visible()
    for script, visible in (("echo 'GPU 0: NVIDIA H200 (UUID: GPU-1)'", True),
                            ("echo 'No devices were found'; exit 6", False),
                            ("echo 'GPU 0: broken'; exit 9", False)):
        tool.write_text(f"#!/bin/sh\n{script}\n")
        tool.chmod(0o755)
        assert gpu_visible() is visible, script
    monkeypatch.undo()
    # a CPU run: trainings hold no GPU and one thread, so --cores 2 runs two side by side
    plan = run_snakemake(tmp_path, "-n", "--config", "gpu=False").stdout
    assert job_resources(plan) == {rule: {(0, 1)} for rule in TRAINING_RULES}
    plan = run_snakemake(tmp_path, "-n", "--config", "gpu=True").stdout
    assert job_resources(plan) == {rule: {(1, 2)} for rule in TRAINING_RULES}


@pytest.mark.workflow  # starts Snakemake (a plan or lint: seconds)
def test_lint_is_clean_and_rules_are_snakefmt_formatted(tmp_path):
    lint = run_snakemake(tmp_path, "--lint", configfiles=())
    assert "Congratulations" in lint.stdout + lint.stderr
    fmt = subprocess.run([str(SNAKEMAKE.parent / "snakefmt"), "--check", "Snakefile", "rules"],
                         cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stderr


def _pins(path):
    return {line.strip() for line in path.read_text().splitlines() if "==" in line and not line.startswith("#")}


def _env_pins(path):
    env = yaml.safe_load(path.read_text())
    return set(next(d["pip"] for d in env["dependencies"] if isinstance(d, dict)))


def test_conda_environments_are_the_lock_without_development_tools():
    import importlib.metadata as md

    from packaging.requirements import Requirement

    def closure(names):
        seen, todo = set(), [n.lower().replace("_", "-") for n in names]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for r in md.distribution(name).requires or []:
                req = Requirement(r)
                if not req.marker or req.marker.evaluate({"extra": ""}):
                    todo.append(req.name.lower().replace("_", "-"))
        return seen

    lines = (ROOT / "requirements.in").read_text().split("# development only")
    runtime, dev = (_pins_of(text) for text in lines)
    lock = _pins(ROOT / "requirements.txt")
    needed = closure([*runtime, "tensorflow-cpu"])
    expected = {p for p in lock if p.split("==")[0].lower().replace("_", "-") in needed}
    version = re.search(r"TF_VERSION := (\S+)", (ROOT / "Makefile").read_text()).group(1)
    cpu, cuda = _env_pins(ROOT / "envs" / "runtime.yaml"), _env_pins(ROOT / "envs" / "runtime-cuda.yaml")
    assert cpu == expected | {f"tensorflow-cpu=={version}"}
    assert cuda == expected | {f"tensorflow[and-cuda]=={version}"}
    assert not any(p.startswith(("pytest==", "snakefmt==", "black==")) for p in cpu | cuda)
    assert set(dev) <= {p.split("==")[0] for p in lock}


def _pins_of(text):
    return [line.split("==")[0].split("[")[0] for line in text.splitlines()
            if "==" in line and not line.startswith("#")]


# --- settings that could only fail inside a job are refused at start-up ---------------------------

@pytest.mark.parametrize("study, path, value, message", [
    ("sorting", ["sampling", "pad_seconds"], [0.01, 0.0],
     "config key sorting.sampling.pad_seconds: [0.01, 0.0] is reversed"),
    ("sorting", ["grid", 0, "sample_length"], [0.01, 1e-5],
     "config key sorting.grid[0].sample_length: 1e-05 s is 0.16 samples at 16000 Hz"),
    ("continuation", ["split", "fractions"], [0.8, 0.1, 0.2],
     "config key continuation.split.fractions: [0.8, 0.1, 0.2] add to 1.1"),
    ("continuation", ["split", "fractions"], [1.0, 0.0, 0.0],
     "the train and valid shares must be above 0"),
    ("continuation", ["drift", "percentiles"], [99.0, 1.0],
     "config key continuation.drift.percentiles: [99.0, 1.0]"),
    ("orcas", ["evaluation", "top_units"], 65,
     "config key orcas.evaluation.top_units: 65 units asked for, but the lstm has 64"),
    ("orcas", ["training", "segment_seconds"], 0.001,
     "config key orcas.training.segment_seconds: 0.001 s is 16 samples, less than one update"),
    ("orcas", ["scan", "keep_every"], 100000,
     "config key orcas.scan.keep_every: 100000 steps of 1 sample(s) keep one output every 6.25 s"),
    ("orcas", ["synthetic", "boat_pass_seconds"], [40.0, 10.0],
     "config key orcas.synthetic.boat_pass_seconds: [40.0, 10.0] is reversed"),
    ("orcas", ["synthetic", "seconds"], 0.5,
     "config key orcas.synthetic.seconds: 0.5 s; the generated tapes must be at least 1 s long"),
    ("orcas", ["synthetic", "seconds"], 1.5,
     "config key orcas.synthetic.seconds: 1.5 s tapes are shorter than one training segment "
     "(2.001 s"),
    # catsdogs: the decode's range, the window, the split shares, what the generator refuses
    ("catsdogs", ["audio", "min_seconds"], 30.0,
     "config key catsdogs.audio.min_seconds: 30.0 s is above catsdogs.audio.max_seconds (20.0 s)"),
    ("catsdogs", ["training", "window"], 400000,
     "config key catsdogs.training.window: 400000 samples is longer than the longest file the "
     "decode accepts (20.0 s"),
    ("catsdogs", ["ablations", "grid_training", "window"], 400000,
     "config key catsdogs.ablations.grid_training.window: 400000 samples is longer than"),
    ("catsdogs", ["split", "original_validation_fraction"], 0.0,
     "config key catsdogs.split.original_validation_fraction: 0.0 leaves the validation part of "
     "the original split empty"),
    ("catsdogs", ["split", "clean_validation_fraction"], 1.0,
     "config key catsdogs.split.clean_validation_fraction: 1.0 leaves the training part of the "
     "clean split empty"),
    ("catsdogs", ["split", "original_test_per_class"], 0,
     "config key catsdogs.split.original_test_per_class: 0 leaves the original protocol's test "
     "folder empty"),
    ("catsdogs", ["synthetic", "n_test_dogs"], 200,
     "config key catsdogs.synthetic.n_test_dogs: 200 test dogs asked for, but "
     "catsdogs.synthetic.n_dogs makes 113"),
    ("catsdogs", ["synthetic", "missing_cat_numbers"], [0, 5],
     "config key catsdogs.synthetic.missing_cat_numbers: 0: cat files are numbered from 1"),
    ("catsdogs", ["synthetic", "min_seconds"], 19.0,
     "config key catsdogs.synthetic.min_seconds: 19.0 s is above catsdogs.synthetic.max_seconds"),
    ("catsdogs", ["synthetic", "max_seconds"], 25.0,
     "config key catsdogs.synthetic: files of 0.9-25.0 s (min_seconds, max_seconds) are not all "
     "within what the decode accepts, 0.9-20.0 s"),
    ("catsdogs", ["synthetic", "total_seconds"], 100.0,
     "config key catsdogs.synthetic.total_seconds: 100.0 s cannot be 277 files of 0.9-18.0 s "
     "(give 249.3-4986 s)"),
    ("catsdogs", ["audio", "rate"], 4000,
     "config key catsdogs.audio.rate: 4000 Hz is below the 8000 Hz the synthetic calls need"),
    # whales
    ("whales", ["synthetic", "snr_db_range"], [10.0, -10.0],
     "config key whales.synthetic.snr_db_range: [10.0, -10.0] is reversed"),
    ("whales", ["synthetic", "positive_fraction"], 0.0,
     "config key whales.synthetic.positive_fraction: 0.0 of 4000 training clips "
     "(whales.synthetic.n_train) makes 0 with an upcall and 4000 without"),
    ("whales", ["sweep", "alexnet"], [0.001, 0.0010000001],
     "config key whales.sweep.alexnet: 0.001 and 0.0010000001 are both the model alexnet_lr0.001"),
    # continuation: the same tolerance as the split itself, spectra, drift, the recording
    ("continuation", ["split", "fractions"], [0.8, 0.1, 0.1000001],
     "config key continuation.split.fractions: [0.8, 0.1, 0.1000001] add to 1.0000001"),
    ("continuation", ["drift", "n_fft"], 32768,
     "config key continuation.drift.n_fft: 32768 samples is longer than the one second"),
    ("continuation", ["generation", "seconds"], 2.0,
     "config key continuation.generation.seconds: 2 s of generated audio cannot hold the 3 "
     "seconds in a row"),
    ("continuation", ["synthetic", "seconds"], 10.0,
     "config key continuation.synthetic.seconds: 10 s is too short for one sequence "
     "(continuation.model.seq_len x frame, 50 x 400 samples) in both the training and the "
     "validation part (continuation.split.fractions): give at least 12.5 s"),
    # sorting: the controls' parts, the listening excerpt, the splits
    ("sorting", ["controls", "segments"], 1,
     "config key sorting.controls.segments: 1; the controls the grid trains on are cut into parts"),
    ("sorting", ["controls", "segments"], 10000,
     "config key sorting.controls.segments: 10000 parts of 300.0 s (sorting.controls.seconds) "
     "are 480 samples each, shorter than a sample of sorting.grid[3] (3 chunks of 0.01 s and 2 "
     "pads of up to 0.01 s: 800 samples)"),
    ("sorting", ["listening", "excerpt_seconds"], 400.0,
     "config key sorting.listening.excerpt_seconds: 400.0 s is longer than the controls"),
    ("sorting", ["sampling", "n_samples"], 1,
     "config key sorting.sampling.n_samples: 1 sample cannot be split"),
    ("sorting", ["synthetic", "n_songs"], 1,
     "config key sorting.synthetic.n_songs: 1 song cannot be split by song"),
])
def test_settings_that_can_only_fail_later_stop_the_start(study, path, value, message):
    config = load("config.yaml")
    section = config[study]
    for key in path[:-1]:
        section = section[key]
    section[path[-1]] = value
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert message in str(err.value)
    assert len(str(err.value).splitlines()) == 1  # one line, for this one problem


def test_setting_checks_skip_studies_not_built_and_sections_the_schema_refused():
    config = load("config.yaml")
    config["sorting"]["sampling"]["pad_seconds"] = [0.01, 0.0]
    config["studies"] = ["catsdogs"]
    assert validate_config(config, SCHEMA) is config
    config["studies"] = ["sorting"]
    config["sorting"]["audio"]["rate"] = "fast"
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert str(err.value).startswith("config key sorting.audio.rate: 'fast' is of type str")
    assert "pad_seconds" not in str(err.value)  # not judged on a section that failed the schema


def test_a_grid_block_with_an_empty_list_is_refused_at_start_up():
    config = load("config.yaml")
    config["sorting"]["grid"][0]["n_chunks"] = []
    with pytest.raises(ConfigError, match=r"config key sorting.grid.0.n_chunks: \[\] should be non-empty"):
        validate_config(config, SCHEMA)
