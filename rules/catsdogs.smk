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


register_study(
    "catsdogs",
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
    CATSDOGS_VARIANTS,
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


CATSDOGS_RAW = raw_step(
    "catsdogs",
    synthetic={
        **config["catsdogs"]["synthetic"],
        "rate": config["catsdogs"]["audio"]["rate"],
    },
    members=["cats_dogs", "train_test_split.csv"],
    kaggle_kind="dataset",
).output
CATSDOGS_PACK = step(
    "catsdogs_decode",
    {"clips": "audio/clips.csv", "samples": "audio/samples.npy"},
    input={"raw": CATSDOGS_RAW["raw"]},
    params={"audio": config["catsdogs"]["audio"]},
).output
CATSDOGS_SPLIT = split_step(
    "catsdogs",
    {"table": "splits/{protocol}.csv"},
    {"raw": CATSDOGS_RAW["raw"], "clips": CATSDOGS_PACK["clips"]},
).output
model_step(
    "catsdogs_train",
    "{variant}",
    files={"segments": "test_segments.csv"},
    input={
        **CATSDOGS_PACK,
        "split": lambda wildcards: f"{CATSDOGS}/splits/{variant_protocol(wildcards.variant)}.csv",
    },
    params={
        "model": lambda wildcards: CATSDOGS_SETTINGS[wildcards.variant]["model"],
        "training": lambda wildcards: {
            **seeded("catsdogs")(wildcards),
            **CATSDOGS_SETTINGS[wildcards.variant]["training"],
        },
        "protocol": lambda wildcards: variant_protocol(wildcards.variant),
    },
    constraints={"variant": "|".join(CATSDOGS_SETTINGS)},
)
step(
    "catsdogs_ablations",
    {"summary": "ablations.json"},
    input={
        "base": f"{CATSDOGS}/models/{config['catsdogs']['ablations']['protocol']}/replicates.json",
        "variants": expand(
            f"{CATSDOGS}/models/{{variant}}/replicates.json",
            variant=CATSDOGS_ABLATIONS,
        ),
    },
    params={"names": list(CATSDOGS_ABLATIONS), "model": config["catsdogs"]["model"]},
)
figures_step(
    "catsdogs",
    {
        **CATSDOGS_PACK,
        "split": CATSDOGS_SPLIT["table"],
        **first_seed(
            "catsdogs", "{protocol}", {**TRAINED, "segments": "test_segments.csv"}
        ),
    },
    CATSDOGS_FIGURES,
    protocols=config["catsdogs"]["protocols"],
    window=config["catsdogs"]["training"]["window"],
)
