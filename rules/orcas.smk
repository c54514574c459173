# orcas: an LSTM that learned to notice orca whistles in raw hydrophone audio (seed 000).
# tapes (mp3) -> 16-kHz mono WAV -> recording-level split -> the LSTM and the baseline, trained
# by truncated BPTT -> every unit's track over the held-out tapes -> figures and unit sounds.
# The whistle units are measured against annotations: the synthetic tapes' ground truth, or
# Raven / Audacity tables (orcas.annotations.path); real recordings without them are scanned
# and drawn all the same, their whistle measures "not measured".
from audiorepro.annotations import table_files
from audiorepro.errors import InputError
from audiorepro.orcas.data import segment_span
from audiorepro.orcas.figures import FIGURES as ORCAS_FIGURES, activation_wav_names

ORCAS = f"{RESULTS}/orcas"
ORCAS_SOUNDS = activation_wav_names(config["orcas"]["evaluation"]["top_units"])
ORCAS_SYNTHETIC = config["orcas"]["source"]["kind"] == "synthetic"
ORCAS_ANNOTATIONS = config["orcas"]["annotations"]
try:  # the tables are inputs, so editing one re-measures; a wrong path stops before any job
    ORCAS_TABLES = (
        [str(p) for p in table_files(ORCAS_ANNOTATIONS["path"], key=None)]
        if ORCAS_ANNOTATIONS["path"] and "orcas" in config["studies"]
        else []
    )
except InputError as err:
    raise ConfigError(
        f"config key orcas.annotations.path: {err.where} {err.problem}"
    ) from None
# what units.json says the measures rest on
ORCAS_ANNOTATED = (
    f"{len(ORCAS_TABLES)} table{'s' if len(ORCAS_TABLES) != 1 else ''}"
    if ORCAS_TABLES
    else "synthetic" if ORCAS_SYNTHETIC else "none"
)
# samples one training segment spans: a shorter recording cannot train
ORCAS_SEGMENT_SECONDS = (
    segment_span(
        config["orcas"]["training"]["segment_seconds"],
        config["orcas"]["audio"]["rate"],
        config["orcas"]["training"]["bptt_steps"],
        config["orcas"]["model"]["window"],
    )
    / config["orcas"]["audio"]["rate"]
)


ORCAS_SEEDS = study_seeds("orcas")  # each network trains and scans with each seed
ORCAS_NETWORKS = (
    f"{ORCAS}/models/{{network}}/seed{ORCAS_SEEDS[0]}"  # the figures' models
)
ORCAS_TARGETS = [
    f"{ORCAS}/figures/{f}" for f in [*ORCAS_FIGURES, *ORCAS_SOUNDS]
] + expand(
    [
        f"{ORCAS}/models/{{network}}/replicates.json",
        f"{ORCAS}/figures/replicates/{{network}}.png",
    ],
    network=config["orcas"]["networks"],
)
register_study(
    "orcas",
    ORCAS_TARGETS,
    ground_truth=ORCAS_ANNOTATED != "none",
    coverage=["coverage/convert.json", "coverage/annotations.json"],
)
register_replicates(
    "orcas",
    {
        "best_abs_r": "|r| of the best unit",
        "share_above_threshold": "share of units above the threshold",
        "best_unit_whistle_speech_separation": "whistle / speech separation",
        "loss.final": "final training loss",
    },
    metrics=["units.json"],
)


rule orcas_raw:
    input:
        code=code("orcas_raw.py"),
    output:
        raw=directory(f"{ORCAS}/raw"),
        truth=f"{ORCAS}/ground_truth.csv",
    log:
        f"{ORCAS}/logs/raw.log",
    benchmark:
        f"{ORCAS}/benchmarks/raw.tsv"
    conda:
        CONDA_ENV
    params:
        source=config["orcas"]["source"],
        synthetic=config["orcas"]["synthetic"],
        members=None,  # every audio file of a local folder
        kaggle_kind=None,
        staging=f"{RESOURCES}/orcas",
    script:
        "../scripts/orcas_raw.py"


rule orcas_convert:
    input:
        code=code("recordings_convert.py"),
        raw=rules.orcas_raw.output.raw,
    output:
        audio=directory(f"{ORCAS}/audio"),
        table=f"{ORCAS}/audio.csv",
        coverage=f"{ORCAS}/coverage/convert.json",
    log:
        f"{ORCAS}/logs/convert.log",
    benchmark:
        f"{ORCAS}/benchmarks/convert.tsv"
    conda:
        CONDA_ENV
    params:
        rate=config["orcas"]["audio"]["rate"],
        source=config["orcas"]["source"],  # errors name the user's own file
        short=short_recordings(
            "orcas", ORCAS_SEGMENT_SECONDS, "orcas.training.segment_seconds"
        ),
    script:
        "../scripts/recordings_convert.py"


rule orcas_annotations:
    input:
        code=code("orcas_annotations.py"),
        raw=rules.orcas_raw.output.raw,
        truth=rules.orcas_raw.output.truth,
        table=rules.orcas_convert.output.table,
        tables=ORCAS_TABLES,
    output:
        table=f"{ORCAS}/annotations.csv",
        coverage=f"{ORCAS}/coverage/annotations.json",
    log:
        f"{ORCAS}/logs/annotations.log",
    conda:
        CONDA_ENV
    params:
        annotations=ORCAS_ANNOTATIONS,
        synthetic=ORCAS_SYNTHETIC,
        skip_key="orcas.audio.short_recordings",
    script:
        "../scripts/orcas_annotations.py"


rule orcas_split:
    input:
        code=code("orcas_split.py"),
        table=rules.orcas_convert.output.table,
    output:
        table=f"{ORCAS}/splits/recordings.csv",
    log:
        f"{ORCAS}/logs/split.log",
    benchmark:
        f"{ORCAS}/benchmarks/split.tsv"
    conda:
        CONDA_ENV
    params:
        split=config["orcas"]["split"],
    script:
        "../scripts/orcas_split.py"


rule orcas_train:
    input:
        code=code("orcas_train.py"),
        audio=rules.orcas_convert.output.audio,
        split=rules.orcas_split.output.table,
    output:
        model=f"{ORCAS}/models/{{network}}/seed{{seed}}/model.keras",
        history=f"{ORCAS}/models/{{network}}/seed{{seed}}/history.csv",
        metrics=f"{ORCAS}/models/{{network}}/seed{{seed}}/metrics.json",
    log:
        f"{ORCAS}/logs/train_{{network}}_seed{{seed}}.log",
    wildcard_constraints:
        network="lstm|baseline",
        seed=r"\d+",
    cache: output_cache("orcas")
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        rate=config["orcas"]["audio"]["rate"],
        model=config["orcas"]["model"],
        training=seeded("orcas"),
        backend=KERAS_BACKEND,
    script:
        "../scripts/orcas_train.py"


rule orcas_scan:
    input:
        code=code("orcas_scan.py"),
        audio=rules.orcas_convert.output.audio,
        split=rules.orcas_split.output.table,
        annotations=rules.orcas_annotations.output.table,
        model=rules.orcas_train.output.model,
        history=rules.orcas_train.output.history,
        training=rules.orcas_train.output.metrics,
    output:
        scans=f"{ORCAS}/models/{{network}}/seed{{seed}}/scans.npz",
        metrics=f"{ORCAS}/models/{{network}}/seed{{seed}}/units.json",
    log:
        f"{ORCAS}/logs/scan_{{network}}_seed{{seed}}.log",
    wildcard_constraints:
        network="lstm|baseline",
        seed=r"\d+",
    cache: output_cache("orcas")
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        rate=config["orcas"]["audio"]["rate"],
        model=config["orcas"]["model"],
        scan=config["orcas"]["scan"],
        evaluation=config["orcas"]["evaluation"],
        annotations=ORCAS_ANNOTATED,
        backend=KERAS_BACKEND,
    script:
        "../scripts/orcas_scan.py"


rule orcas_figures:
    input:
        notebook=NOTEBOOKS / "orcas.ipynb",
        code=code("run_notebook.py", "../reports/orcas.ipynb"),
        audio=rules.orcas_convert.output.audio,
        table=rules.orcas_convert.output.table,  # titles name each recording by its source path
        annotations=rules.orcas_annotations.output.table,
        histories=expand(
            f"{ORCAS_NETWORKS}/history.csv", network=config["orcas"]["networks"]
        ),
        scans=expand(f"{ORCAS_NETWORKS}/scans.npz", network=config["orcas"]["networks"]),
        units=expand(
            f"{ORCAS_NETWORKS}/units.json", network=config["orcas"]["networks"]
        ),
    output:
        figures=report(
            [f"{ORCAS}/figures/{f}" for f in [*ORCAS_FIGURES, *ORCAS_SOUNDS]],
            caption="../reports/captions/orcas.rst",
            category="orcas",
        ),
        notebook=f"{ORCAS}/figures/orcas.ipynb",
    log:
        f"{ORCAS}/logs/figures.log",
    conda:
        CONDA_ENV
    params:
        parameters=lambda wildcards, input, output: notebook_parameters(
            input,
            output,
            networks=config["orcas"]["networks"],
            rate=config["orcas"]["audio"]["rate"],
            geometry={
                "window": config["orcas"]["model"]["window"],
                "hop": config["orcas"]["scan"]["hop"],
                "keep_every": config["orcas"]["scan"]["keep_every"],
            },
            evaluation=config["orcas"]["evaluation"],
        ),
    script:
        "../scripts/run_notebook.py"
