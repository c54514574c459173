# catsdogs: a 10-layer 1-D CNN on raw 16-kHz cat and dog audio (seed 004).
# raw data -> decoded, checked pack -> split table per protocol -> trained model -> figures.
CATSDOGS = f"{RESULTS}/catsdogs"
CATSDOGS_FIGURES = [
    "audio_beginning.png",
    "model_acc.png",
    "model_summary.txt",
    "dog_main_ex.png",
    "predict_dog_test.txt",
    *[f"activ_{i}.png" for i in range(1, config["catsdogs"]["model"]["blocks"] + 1)],
    "dog_main_pooling_output.png",
    "global_pooling_second_dog.png",
    "global_pooling_cat_1.png",
    "sigmoid_weights.png",
    "filter_weights.png",
]


def catsdogs_targets():
    return expand(
        [f"{CATSDOGS}/figures/{{protocol}}/{f}" for f in CATSDOGS_FIGURES]
        + [f"{CATSDOGS}/models/{{protocol}}/metrics.json"],
        protocol=config["catsdogs"]["protocols"],
    )


STUDY_TARGETS["catsdogs"] = catsdogs_targets


def catsdogs_notebook_parameters(wildcards, input, output):
    return notebook_parameters(
        input,
        output,
        protocol=wildcards.protocol,
        rate=config["catsdogs"]["audio"]["rate"],
        training=config["catsdogs"]["training"],
    )


rule catsdogs_raw:
    output:
        raw=directory(f"{CATSDOGS}/raw"),
        truth=f"{CATSDOGS}/ground_truth.csv",
    log:
        f"{CATSDOGS}/logs/raw.log",
    params:
        source=config["catsdogs"]["source"],
        synthetic=config["catsdogs"]["synthetic"],
        rate=config["catsdogs"]["audio"]["rate"],
        staging=f"{RESOURCES}/catsdogs",
    conda:
        "../envs/audiorepro.yaml"
    script:
        "../scripts/catsdogs_raw.py"


rule catsdogs_decode:
    input:
        rules.catsdogs_raw.output.raw,
    output:
        clips=f"{CATSDOGS}/audio/clips.csv",
        samples=f"{CATSDOGS}/audio/samples.npy",
    log:
        f"{CATSDOGS}/logs/decode.log",
    params:
        audio=config["catsdogs"]["audio"],
    conda:
        "../envs/audiorepro.yaml"
    script:
        "../scripts/catsdogs_decode.py"


rule catsdogs_split:
    input:
        raw=rules.catsdogs_raw.output.raw,
        clips=rules.catsdogs_decode.output.clips,
    output:
        f"{CATSDOGS}/splits/{{protocol}}.csv",
    log:
        f"{CATSDOGS}/logs/split_{{protocol}}.log",
    wildcard_constraints:
        protocol="original|clean",
    params:
        split=config["catsdogs"]["split"],
    conda:
        "../envs/audiorepro.yaml"
    script:
        "../scripts/catsdogs_split.py"


rule catsdogs_train:
    input:
        clips=rules.catsdogs_decode.output.clips,
        samples=rules.catsdogs_decode.output.samples,
        split=rules.catsdogs_split.output[0],
    output:
        model=f"{CATSDOGS}/models/{{protocol}}/model.keras",
        history=f"{CATSDOGS}/models/{{protocol}}/history.csv",
        segments=f"{CATSDOGS}/models/{{protocol}}/test_segments.csv",
        metrics=f"{CATSDOGS}/models/{{protocol}}/metrics.json",
    log:
        f"{CATSDOGS}/logs/train_{{protocol}}.log",
    params:
        model=config["catsdogs"]["model"],
        training=config["catsdogs"]["training"],
        backend=config["keras_backend"],
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/audiorepro.yaml"
    script:
        "../scripts/catsdogs_train.py"


rule catsdogs_figures:
    input:
        notebook=NOTEBOOKS / "catsdogs.ipynb",
        clips=rules.catsdogs_decode.output.clips,
        samples=rules.catsdogs_decode.output.samples,
        split=rules.catsdogs_split.output[0],
        model=rules.catsdogs_train.output.model,
        history=rules.catsdogs_train.output.history,
        metrics=rules.catsdogs_train.output.metrics,
    output:
        figures=report(
            [f"{CATSDOGS}/figures/{{protocol}}/{f}" for f in CATSDOGS_FIGURES],
            caption="../reports/captions/catsdogs.rst",
            category="catsdogs",
            subcategory="{protocol}",
        ),
        notebook=f"{CATSDOGS}/figures/{{protocol}}/catsdogs.ipynb",
    log:
        f"{CATSDOGS}/logs/figures_{{protocol}}.log",
    params:
        parameters=catsdogs_notebook_parameters,
    conda:
        "../envs/audiorepro.yaml"
    script:
        "../scripts/run_notebook.py"
