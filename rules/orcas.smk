# orcas: an LSTM that learned to notice orca whistles in raw hydrophone audio (seed 000).
# tapes (mp3) -> 16-kHz mono WAV -> recording-level split -> the LSTM and the baseline, trained
# by truncated BPTT -> every unit's track over the held-out tapes -> figures and unit sounds.
from audiorepro.orcas.figures import FIGURES as ORCAS_FIGURES, activation_wav_names

ORCAS = f"{RESULTS}/orcas"
ORCAS_SOUNDS = activation_wav_names(config["orcas"]["evaluation"]["top_units"])


ORCAS_NETWORKS = f"{ORCAS}/models/{{network}}"
ORCAS_TARGETS = [
    f"{ORCAS}/figures/{f}" for f in [*ORCAS_FIGURES, *ORCAS_SOUNDS]
] + expand(f"{ORCAS_NETWORKS}/units.json", network=config["orcas"]["networks"])
register_study("orcas", ORCAS_TARGETS)


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
    log:
        f"{ORCAS}/logs/convert.log",
    benchmark:
        f"{ORCAS}/benchmarks/convert.tsv"
    conda:
        CONDA_ENV
    params:
        rate=config["orcas"]["audio"]["rate"],
    script:
        "../scripts/recordings_convert.py"


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
        model=f"{ORCAS}/models/{{network}}/model.keras",
        history=f"{ORCAS}/models/{{network}}/history.csv",
        metrics=f"{ORCAS}/models/{{network}}/metrics.json",
    log:
        f"{ORCAS}/logs/train_{{network}}.log",
    wildcard_constraints:
        network="lstm|baseline",
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=1,
    params:
        rate=config["orcas"]["audio"]["rate"],
        model=config["orcas"]["model"],
        training=config["orcas"]["training"],
        backend=config["keras_backend"],
    script:
        "../scripts/orcas_train.py"


rule orcas_scan:
    input:
        code=code("orcas_scan.py"),
        audio=rules.orcas_convert.output.audio,
        split=rules.orcas_split.output.table,
        truth=rules.orcas_raw.output.truth,
        model=rules.orcas_train.output.model,
        history=rules.orcas_train.output.history,
    output:
        scans=f"{ORCAS}/models/{{network}}/scans.npz",
        metrics=f"{ORCAS}/models/{{network}}/units.json",
    log:
        f"{ORCAS}/logs/scan_{{network}}.log",
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=1,
    params:
        rate=config["orcas"]["audio"]["rate"],
        model=config["orcas"]["model"],
        scan=config["orcas"]["scan"],
        evaluation=config["orcas"]["evaluation"],
        backend=config["keras_backend"],
    script:
        "../scripts/orcas_scan.py"


rule orcas_figures:
    input:
        notebook=NOTEBOOKS / "orcas.ipynb",
        code=code("run_notebook.py", "../reports/orcas.ipynb"),
        audio=rules.orcas_convert.output.audio,
        truth=rules.orcas_raw.output.truth,
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
