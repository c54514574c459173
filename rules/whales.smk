# whales: right-whale upcalls as spectrogram images for AlexNet and GoogLeNet (seed 001).
# raw AIFF clips -> 30x129 PNG spectrograms (+ one packed array) -> split tables -> the
# learning-rate sweep, one training job per network and rate -> figures.
rule whales_raw:
    output:
        raw=directory(f"{WHALES}/raw"),
        truth=f"{WHALES}/ground_truth.csv",
    log:
        f"{WHALES}/logs/raw.log",
    conda:
        "../envs/audiorepro.yaml"
    params:
        source=config["whales"]["source"],
        generator="synth_whales",
        synthetic={**config["whales"]["synthetic"], **config["whales"]["audio"]},
        members=["train.csv", "train", "test"],
        kaggle_kind="competition",
        staging=f"{RESOURCES}/whales",
    script:
        "../scripts/fetch_raw.py"


rule whales_render:
    input:
        raw=rules.whales_raw.output.raw,
    output:
        pngs=directory(f"{WHALES}/features/train"),
        images=f"{WHALES}/features/images.npy",
        clips=f"{WHALES}/features/clips.csv",
    log:
        f"{WHALES}/logs/render.log",
    conda:
        "../envs/audiorepro.yaml"
    threads: 8  # capped by --cores
    params:
        audio=config["whales"]["audio"],
    script:
        "../scripts/whales_render.py"


rule whales_split:
    input:
        clips=rules.whales_render.output.clips,
    output:
        table=f"{WHALES}/splits/{{scheme}}.csv",
        counts=f"{WHALES}/splits/{{scheme}}_class_counts.csv",
    log:
        f"{WHALES}/logs/split_{{scheme}}.log",
    wildcard_constraints:
        scheme="digits|stratified",
    conda:
        "../envs/audiorepro.yaml"
    params:
        split=config["whales"]["split"],
    script:
        "../scripts/whales_split.py"


rule whales_train:
    input:
        images=rules.whales_render.output.images,
        split=rules.whales_split.output.table,
    output:
        model=f"{WHALES}/models/{{scheme}}/{{net}}_lr{{rate}}/model.keras",
        history=f"{WHALES}/models/{{scheme}}/{{net}}_lr{{rate}}/history.csv",
        predictions=f"{WHALES}/models/{{scheme}}/{{net}}_lr{{rate}}/predictions.csv",
        metrics=f"{WHALES}/models/{{scheme}}/{{net}}_lr{{rate}}/metrics.json",
    log:
        f"{WHALES}/logs/train_{{scheme}}_{{net}}_lr{{rate}}.log",
    wildcard_constraints:
        net="alexnet|googlenet",
        rate="[0-9.e-]+",
    conda:
        "../envs/audiorepro.yaml"
    threads: 2
    resources:
        gpu=1,
    params:
        image=config["whales"]["image"],
        width=config["whales"]["width"],
        init=config["whales"]["init"],
        training=config["whales"]["training"],
        backend=config["keras_backend"],
    script:
        "../scripts/whales_train.py"


rule whales_figures:
    input:
        notebook=NOTEBOOKS / "whales.ipynb",
        raw=rules.whales_raw.output.raw,
        pngs=rules.whales_render.output.pngs,
        split=rules.whales_split.output.table,
        counts=rules.whales_split.output.counts,
        metrics=whales_sweep_files("metrics.json"),
        histories=whales_sweep_files("history.csv"),
        predictions=whales_sweep_files("predictions.csv"),
    output:
        figures=report(
            [f"{WHALES}/figures/{{scheme}}/{f}" for f in WHALES_FIGURES],
            caption="../reports/captions/whales.rst",
            category="whales",
            subcategory="{scheme}",
        ),
        notebook=f"{WHALES}/figures/{{scheme}}/whales.ipynb",
    log:
        f"{WHALES}/logs/figures_{{scheme}}.log",
    conda:
        "../envs/audiorepro.yaml"
    params:
        parameters=whales_notebook_parameters,
    script:
        "../scripts/run_notebook.py"
