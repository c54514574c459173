# catsdogs: a 10-layer 1-D CNN on raw 16-kHz cat and dog audio (seed 004).
# raw data -> decoded, checked pack -> split table per protocol -> trained model -> figures.
# Each protocol trains with catsdogs.replicates seeds (models/<protocol>/seed<n>/); the figures
# show the first seed's model. With `ablations: true` the C4/C5 variants train too.
from audiorepro.catsdogs.data import ablation_variants, variant_protocol
from audiorepro.catsdogs.figures import FIGURES as CATSDOGS_DRAWN
from audiorepro.plots import figure_files

CATSDOGS = f"{RESULTS}/catsdogs"
CATSDOGS_FIGURES = figure_files(
    CATSDOGS_DRAWN, k=range(1, config["catsdogs"]["model"]["blocks"] + 1)
)
CATSDOGS_SEEDS = study_seeds("catsdogs")
CATSDOGS_ABLATIONS = ablation_variants(
    config["catsdogs"]["ablations"],
    config["catsdogs"]["model"],
    config["catsdogs"]["training"],
)
# every variant's model and its changes to catsdogs.training: the protocols' are none
CATSDOGS_SETTINGS = {
    protocol: {"model": config["catsdogs"]["model"], "training": {}}
    for protocol in config["catsdogs"]["protocols"]
} | CATSDOGS_ABLATIONS
CATSDOGS_VARIANTS = config["catsdogs"]["protocols"] + (
    list(CATSDOGS_ABLATIONS) if config["ablations"] else []
)
CATSDOGS_MODEL = f"{CATSDOGS}/models/{{protocol}}/seed{CATSDOGS_SEEDS[0]}"


CATSDOGS_TARGETS = expand(
    [f"{CATSDOGS}/figures/{{protocol}}/{f}" for f in CATSDOGS_FIGURES],
    protocol=config["catsdogs"]["protocols"],
) + expand(
    [
        f"{CATSDOGS}/models/{{variant}}/replicates.json",
        f"{CATSDOGS}/figures/replicates/{{variant}}.png",
    ],
    variant=CATSDOGS_VARIANTS,
)
register_study(
    "catsdogs",
    CATSDOGS_TARGETS,
    claims_context={"seed": CATSDOGS_SEEDS[0]},
    claims_files=[f"models/{v}/replicates.json" for v in CATSDOGS_VARIANTS]
    + [
        f"models/{p}/seed{CATSDOGS_SEEDS[0]}/metrics.json"
        for p in config["catsdogs"]["protocols"]
    ]
    + (["ablations.json"] if config["ablations"] else []),
)
register_replicates(
    "catsdogs",
    # an ablation trains with its own count of seeds
    seeds=lambda variant: (
        CATSDOGS_SEEDS
        if variant not in CATSDOGS_ABLATIONS
        else CATSDOGS_SEEDS[:1]
        + [
            CATSDOGS_SEEDS[0] + r
            for r in range(1, config["catsdogs"]["ablations"]["replicates"])
        ]
    ),
    shown={
        "best_validation_accuracy": "best validation accuracy",
        "final_training_accuracy": "final training accuracy",
        "test_segment_accuracy": "test accuracy, 1-s segments",
        "test_clip_accuracy": "test accuracy, clip votes",
    },
)


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
        split=lambda wildcards: f"{CATSDOGS}/splits/{variant_protocol(wildcards.variant)}.csv",
    output:
        model=f"{CATSDOGS}/models/{{variant}}/seed{{seed}}/model.keras",
        history=f"{CATSDOGS}/models/{{variant}}/seed{{seed}}/history.csv",
        segments=f"{CATSDOGS}/models/{{variant}}/seed{{seed}}/test_segments.csv",
        metrics=f"{CATSDOGS}/models/{{variant}}/seed{{seed}}/metrics.json",
    log:
        f"{CATSDOGS}/logs/train_{{variant}}_seed{{seed}}.log",
    wildcard_constraints:
        variant="|".join(CATSDOGS_SETTINGS),
        seed=r"\d+",
    cache: output_cache("catsdogs")
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        model=lambda wildcards: CATSDOGS_SETTINGS[wildcards.variant]["model"],
        training=lambda wildcards: {
            **seeded("catsdogs")(wildcards),
            **CATSDOGS_SETTINGS[wildcards.variant]["training"],
        },
        protocol=lambda wildcards: variant_protocol(wildcards.variant),
        backend=KERAS_BACKEND,
    script:
        "../scripts/catsdogs_train.py"


rule catsdogs_ablations:
    input:
        code=code("catsdogs_ablations.py"),
        base=f"{CATSDOGS}/models/{config['catsdogs']['ablations']['protocol']}/replicates.json",
        variants=expand(
            f"{CATSDOGS}/models/{{variant}}/replicates.json",
            variant=CATSDOGS_ABLATIONS,
        ),
    output:
        f"{CATSDOGS}/ablations.json",
    log:
        f"{CATSDOGS}/logs/ablations.log",
    conda:
        CONDA_ENV
    params:
        names=list(CATSDOGS_ABLATIONS),
        model=config["catsdogs"]["model"],
    script:
        "../scripts/catsdogs_ablations.py"


rule catsdogs_figures:
    input:
        notebook=NOTEBOOKS / "catsdogs.ipynb",
        code=code("run_notebook.py", "../reports/catsdogs.ipynb"),
        clips=rules.catsdogs_decode.output.clips,
        samples=rules.catsdogs_decode.output.samples,
        split=rules.catsdogs_split.output.table,
        model=f"{CATSDOGS_MODEL}/model.keras",
        history=f"{CATSDOGS_MODEL}/history.csv",
        segments=f"{CATSDOGS_MODEL}/test_segments.csv",
        metrics=f"{CATSDOGS_MODEL}/metrics.json",
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
