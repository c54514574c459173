# whales: right-whale upcalls as spectrogram images for AlexNet and GoogLeNet (seed 001).
# raw AIFF clips -> 30x129 PNG spectrograms (+ one packed array) -> split tables -> the
# learning-rate sweep, one training job per network and rate -> the sweep table -> figures.
from audiorepro.whales.figures import FIGURES as WHALES_FIGURES, SWEEP_TABLE

WHALES = f"{RESULTS}/whales"
WHALES_VARIANTS = [
    f"{net}_lr{rate:g}"
    for net, rates in config["whales"]["sweep"].items()
    for rate in rates
]
if config["whales"]["baseline"] not in WHALES_VARIANTS:
    raise ConfigError(
        f"config key whales.baseline: {config['whales']['baseline']} is not one of the sweep's "
        f"models ({', '.join(WHALES_VARIANTS)})"
    )


WHALES_SEEDS = study_seeds("whales")  # each sweep member trains with each seed
# the sweep table and the figures show the first seed's models
WHALES_MODELS = f"{WHALES}/models/{{protocol}}/{{variant}}/seed{WHALES_SEEDS[0]}"
WHALES_TRAIN_ON = config["whales"]["split"]["train_on"]
WHALES_TARGETS = (
    [f"{WHALES}/figures/{WHALES_TRAIN_ON}/{f}" for f in [*WHALES_FIGURES, SWEEP_TABLE]]
    + expand(
        f"{WHALES}/splits/{{protocol}}.csv", protocol=config["whales"]["protocols"]
    )
    + expand(
        [
            f"{WHALES}/models/{WHALES_TRAIN_ON}/{{variant}}/replicates.json",
            f"{WHALES}/figures/replicates/{WHALES_TRAIN_ON}/{{variant}}.png",
        ],
        variant=WHALES_VARIANTS,
    )
)
register_study(
    "whales",
    WHALES_TARGETS,
    claims_context={"protocol": WHALES_TRAIN_ON},
    claims_files=[
        f"models/{WHALES_TRAIN_ON}/{v}/replicates.json" for v in WHALES_VARIANTS
    ]
    + [f"splits/{p}_class_counts.csv" for p in config["whales"]["protocols"]],
)
register_replicates(
    "whales",
    {
        "final_validation_accuracy": "validation accuracy, last epoch",
        "validation.majority_baseline_accuracy": "majority class share",
        "roc_auc": "ROC AUC",
    },
)


rule whales_raw:
    input:
        code=code("whales_raw.py"),
    output:
        raw=directory(f"{WHALES}/raw"),
        truth=f"{WHALES}/ground_truth.csv",
    log:
        f"{WHALES}/logs/raw.log",
    benchmark:
        f"{WHALES}/benchmarks/raw.tsv"
    conda:
        CONDA_ENV
    params:
        source=config["whales"]["source"],
        synthetic=config["whales"]["synthetic"],
        members=["train.csv", "train", "test"],
        kaggle_kind="competition",
        staging=f"{RESOURCES}/whales",
    script:
        "../scripts/whales_raw.py"


rule whales_render:
    input:
        code=code("whales_render.py"),
        raw=rules.whales_raw.output.raw,
    output:
        pngs=directory(f"{WHALES}/features/train"),
        images=f"{WHALES}/features/images.npy",
        clips=f"{WHALES}/features/clips.csv",
    log:
        f"{WHALES}/logs/render.log",
    benchmark:
        f"{WHALES}/benchmarks/render.tsv"
    conda:
        CONDA_ENV
    threads: 8  # capped by --cores
    script:
        "../scripts/whales_render.py"


rule whales_split:
    input:
        code=code("whales_split.py"),
        clips=rules.whales_render.output.clips,
    output:
        table=f"{WHALES}/splits/{{protocol}}.csv",
        counts=f"{WHALES}/splits/{{protocol}}_class_counts.csv",
    log:
        f"{WHALES}/logs/split_{{protocol}}.log",
    benchmark:
        f"{WHALES}/benchmarks/split_{{protocol}}.tsv"
    wildcard_constraints:
        protocol="digits|stratified",
    conda:
        CONDA_ENV
    params:
        split=config["whales"]["split"],
    script:
        "../scripts/whales_split.py"


rule whales_train:
    input:
        code=code("whales_train.py"),
        images=rules.whales_render.output.images,
        split=rules.whales_split.output.table,
    output:
        model=f"{WHALES}/models/{{protocol}}/{{net}}_lr{{rate}}/seed{{seed}}/model.keras",
        history=f"{WHALES}/models/{{protocol}}/{{net}}_lr{{rate}}/seed{{seed}}/history.csv",
        predictions=f"{WHALES}/models/{{protocol}}/{{net}}_lr{{rate}}/seed{{seed}}/predictions.csv",
        metrics=f"{WHALES}/models/{{protocol}}/{{net}}_lr{{rate}}/seed{{seed}}/metrics.json",
    log:
        f"{WHALES}/logs/train_{{protocol}}_{{net}}_lr{{rate}}_seed{{seed}}.log",
    wildcard_constraints:
        net="alexnet|googlenet",
        rate="[0-9.e-]+",
        seed=r"\d+",
    cache: output_cache("whales")
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        image=config["whales"]["image"],
        width=config["whales"]["width"],
        init=config["whales"]["init"],
        training=seeded("whales"),
        backend=KERAS_BACKEND,
    script:
        "../scripts/whales_train.py"


rule whales_sweep:
    input:
        code=code("whales_sweep.py"),
        metrics=expand_each(f"{WHALES_MODELS}/metrics.json", variant=WHALES_VARIANTS),
        histories=expand_each(f"{WHALES_MODELS}/history.csv", variant=WHALES_VARIANTS),
    output:
        table=report(
            f"{WHALES}/figures/{{protocol}}/{SWEEP_TABLE}",
            caption="../reports/captions/whales.rst",
            category="whales",
            subcategory="{protocol}",
        ),
    log:
        f"{WHALES}/logs/sweep_{{protocol}}.log",
    conda:
        CONDA_ENV
    params:
        variants=WHALES_VARIANTS,
    script:
        "../scripts/whales_sweep.py"


rule whales_figures:
    input:
        notebook=NOTEBOOKS / "whales.ipynb",
        code=code("run_notebook.py", "../reports/whales.ipynb"),
        raw=rules.whales_raw.output.raw,
        pngs=rules.whales_render.output.pngs,
        split=rules.whales_split.output.table,
        counts=rules.whales_split.output.counts,
        sweep=rules.whales_sweep.output.table,
        histories=expand_each(f"{WHALES_MODELS}/history.csv", variant=WHALES_VARIANTS),
        predictions=expand_each(
            f"{WHALES_MODELS}/predictions.csv", variant=WHALES_VARIANTS
        ),
    output:
        figures=report(
            [f"{WHALES}/figures/{{protocol}}/{f}" for f in WHALES_FIGURES],
            caption="../reports/captions/whales.rst",
            category="whales",
            subcategory="{protocol}",
        ),
        notebook=f"{WHALES}/figures/{{protocol}}/whales.ipynb",
    log:
        f"{WHALES}/logs/figures_{{protocol}}.log",
    conda:
        CONDA_ENV
    params:
        parameters=lambda wildcards, input, output: notebook_parameters(
            input,
            output,
            protocol=wildcards.protocol,
            variants=WHALES_VARIANTS,
            baseline=config["whales"]["baseline"],
        ),
    script:
        "../scripts/run_notebook.py"
