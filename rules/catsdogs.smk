# catsdogs: a 10-layer 1-D CNN on raw 16-kHz cat and dog audio (seed 004).
# raw data -> decoded, checked pack -> split table per protocol -> trained model -> figures.
from audiorepro.catsdogs.figures import figure_names as catsdogs_figure_names

CATSDOGS = f"{RESULTS}/catsdogs"
CATSDOGS_FIGURES = catsdogs_figure_names(config["catsdogs"]["model"]["blocks"])


CATSDOGS_TARGETS = expand(
    [f"{CATSDOGS}/figures/{{protocol}}/{f}" for f in CATSDOGS_FIGURES]
    + [f"{CATSDOGS}/models/{{protocol}}/metrics.json"],
    protocol=config["catsdogs"]["protocols"],
)
register_study("catsdogs", CATSDOGS_TARGETS)


rule catsdogs_raw:
    input:
        code=code("catsdogs_raw.py"),
    output:
        raw=directory(f"{CATSDOGS}/raw"),
        truth=f"{CATSDOGS}/ground_truth.csv",
    log:
        f"{CATSDOGS}/logs/raw.log",
    benchmark:
        f"{CATSDOGS}/benchmarks/raw.tsv"
    conda:
        CONDA_ENV
    params:
        source=config["catsdogs"]["source"],
        synthetic={
            **config["catsdogs"]["synthetic"],
            "rate": config["catsdogs"]["audio"]["rate"],
        },
        members=["cats_dogs", "train_test_split.csv"],
        kaggle_kind="dataset",
        staging=f"{RESOURCES}/catsdogs",
    script:
        "../scripts/catsdogs_raw.py"


rule catsdogs_decode:
    input:
        code=code("catsdogs_decode.py"),
        raw=rules.catsdogs_raw.output.raw,
    output:
        clips=f"{CATSDOGS}/audio/clips.csv",
        samples=f"{CATSDOGS}/audio/samples.npy",
    log:
        f"{CATSDOGS}/logs/decode.log",
    benchmark:
        f"{CATSDOGS}/benchmarks/decode.tsv"
    conda:
        CONDA_ENV
    params:
        audio=config["catsdogs"]["audio"],
    script:
        "../scripts/catsdogs_decode.py"


rule catsdogs_split:
    input:
        code=code("catsdogs_split.py"),
        raw=rules.catsdogs_raw.output.raw,
        clips=rules.catsdogs_decode.output.clips,
    output:
        table=f"{CATSDOGS}/splits/{{protocol}}.csv",
    log:
        f"{CATSDOGS}/logs/split_{{protocol}}.log",
    benchmark:
        f"{CATSDOGS}/benchmarks/split_{{protocol}}.tsv"
    wildcard_constraints:
        protocol="original|clean",
    conda:
        CONDA_ENV
    params:
        split=config["catsdogs"]["split"],
    script:
        "../scripts/catsdogs_split.py"


rule catsdogs_train:
    input:
        code=code("catsdogs_train.py"),
        clips=rules.catsdogs_decode.output.clips,
        samples=rules.catsdogs_decode.output.samples,
        split=rules.catsdogs_split.output.table,
    output:
        model=f"{CATSDOGS}/models/{{protocol}}/model.keras",
        history=f"{CATSDOGS}/models/{{protocol}}/history.csv",
        segments=f"{CATSDOGS}/models/{{protocol}}/test_segments.csv",
        metrics=f"{CATSDOGS}/models/{{protocol}}/metrics.json",
    log:
        f"{CATSDOGS}/logs/train_{{protocol}}.log",
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=1,
    params:
        model=config["catsdogs"]["model"],
        training=config["catsdogs"]["training"],
        backend=config["keras_backend"],
    script:
        "../scripts/catsdogs_train.py"


rule catsdogs_figures:
    input:
        notebook=NOTEBOOKS / "catsdogs.ipynb",
        code=code("run_notebook.py", "../reports/catsdogs.ipynb"),
        clips=rules.catsdogs_decode.output.clips,
        samples=rules.catsdogs_decode.output.samples,
        split=rules.catsdogs_split.output.table,
        model=rules.catsdogs_train.output.model,
        history=rules.catsdogs_train.output.history,
        segments=rules.catsdogs_train.output.segments,
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
    conda:
        CONDA_ENV
    params:
        parameters=lambda wildcards, input, output: notebook_parameters(
            input,
            output,
            protocol=wildcards.protocol,
            window=config["catsdogs"]["training"]["window"],
        ),
    script:
        "../scripts/run_notebook.py"
