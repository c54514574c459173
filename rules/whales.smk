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
register_study(
    "whales",
    [f"{WHALES}/figures/{WHALES_TRAIN_ON}/{SWEEP_TABLE}"]
    + expand(
        f"{WHALES}/splits/{{protocol}}.csv", protocol=config["whales"]["protocols"]
    ),
    claims_context={"protocol": WHALES_TRAIN_ON},
    claims_files=[
        f"models/{WHALES_TRAIN_ON}/{v}/replicates.json" for v in WHALES_VARIANTS
    ]
    + [f"splits/{p}_class_counts.csv" for p in config["whales"]["protocols"]],
)
register_replicates(
    "whales",
    [f"{WHALES_TRAIN_ON}/{variant}" for variant in WHALES_VARIANTS],
    {
        "final_validation_accuracy": "validation accuracy, last epoch",
        "validation.majority_baseline_accuracy": "majority class share",
        "roc_auc": "ROC AUC",
    },
)


WHALES_RAW = raw_step(
    "whales", members=["train.csv", "train", "test"], kaggle_kind="competition"
).output["raw"]
WHALES_IMAGES = step(
    "whales_render",
    {
        "pngs": directory("features/train"),
        "images": "features/images.npy",
        "clips": "features/clips.csv",
    },
    input={"raw": WHALES_RAW},
    threads=8,  # capped by --cores
).output
WHALES_SPLIT = split_step(
    "whales",
    {"table": "splits/{protocol}.csv", "counts": "splits/{protocol}_class_counts.csv"},
    {"clips": WHALES_IMAGES["clips"]},
).output
model_step(
    "whales_train",
    "{protocol}/{net}_lr{rate}",
    files={"predictions": "predictions.csv"},
    input={"images": WHALES_IMAGES["images"], "split": WHALES_SPLIT["table"]},
    params={
        "image": config["whales"]["image"],
        "width": config["whales"]["width"],
        "init": config["whales"]["init"],
        "training": seeded("whales"),
    },
    constraints={"net": "alexnet|googlenet", "rate": "[0-9.e-]+"},
)
WHALES_SWEPT = {
    name: expand_each(f"{WHALES_MODELS}/{file}", variant=WHALES_VARIANTS)
    for name, file in [
        ("metrics", "metrics.json"),
        ("histories", "history.csv"),
        ("predictions", "predictions.csv"),
    ]
}
WHALES_SWEEP = step(
    "whales_sweep",
    {
        "table": report(
            f"figures/{{protocol}}/{SWEEP_TABLE}",
            caption="../reports/captions/whales.rst",
            category="whales",
            subcategory="{protocol}",
        )
    },
    input={"metrics": WHALES_SWEPT["metrics"], "histories": WHALES_SWEPT["histories"]},
    params={"variants": WHALES_VARIANTS},
).output["table"]
figures_step(
    "whales",
    {
        "raw": WHALES_RAW,
        "pngs": WHALES_IMAGES["pngs"],
        "split": WHALES_SPLIT["table"],
        "counts": WHALES_SPLIT["counts"],
        "sweep": WHALES_SWEEP,
        "histories": WHALES_SWEPT["histories"],
        "predictions": WHALES_SWEPT["predictions"],
    },
    WHALES_FIGURES,
    protocols=[WHALES_TRAIN_ON],
    variants=WHALES_VARIANTS,
    baseline=config["whales"]["baseline"],
)
