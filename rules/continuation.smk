# continuation: a 3-layer LSTM that predicts the next frame of music, then generates (seed 003).
# recording -> 16-kHz mono WAV -> contiguous split and scaling per protocol -> trained model
# -> generated continuation with its drift -> figures.
# Each variant (a protocol, or with `ablations: true` the min-centred scaling of claim N7)
# trains and generates with continuation.replicates seeds (models/<variant>/seed<n>/); the
# figures show the first seed's.
from audiorepro.continuation.figures import FIGURES as CONTINUATION_FIGURES

CONTINUATION = f"{RESULTS}/continuation"
CONTINUATION_SEEDS = study_seeds("continuation")
CONTINUATION_ABLATIONS = ["original-min"]  # N7: centred by the minimum, not the mean
CONTINUATION_VARIANTS = config["continuation"]["protocols"] + (
    CONTINUATION_ABLATIONS if config["ablations"] else []
)


register_study(
    "continuation",
    claims_files=[f"models/{v}/replicates.json" for v in CONTINUATION_VARIANTS],
    coverage=["coverage/convert.json"],
)
register_replicates(
    "continuation",
    CONTINUATION_VARIANTS,
    {
        "learning_curve.best_valid": "best valid MSE",
        "best_baseline_valid": "better trivial predictor, valid MSE",
        "test_mse": "test MSE",
        "generation.drift.mean.spectral_distance": "generated audio: spectral distance (dB)",
    },
    metrics=["metrics.json", "generation.json"],
)


CONTINUATION_RAW = raw_step(
    "continuation",
    synthetic={
        **config["continuation"]["synthetic"],
        "rate": config["continuation"]["audio"]["rate"],
    },
)
# one sequence: seq_len frames of `frame` samples (no sequence straddles two recordings)
CONTINUATION_AUDIO = convert_step(
    "continuation",
    CONTINUATION_RAW,
    config["continuation"]["model"]["seq_len"]
    * config["continuation"]["model"]["frame"]
    / config["continuation"]["audio"]["rate"],
    "continuation.model.seq_len",
).output
CONTINUATION_RECORDINGS = {
    "audio": CONTINUATION_AUDIO["audio"],
    "table": CONTINUATION_AUDIO["table"],
}
split_step(
    "continuation",
    {"table": "splits/{protocol}.csv"},
    CONTINUATION_RECORDINGS,
    rate=config["continuation"]["audio"]["rate"],
    frame=config["continuation"]["model"]["frame"],
    seq_len=config["continuation"]["model"]["seq_len"],
)
CONTINUATION_SETTINGS = {
    "rate": config["continuation"]["audio"]["rate"],
    "split": config["continuation"]["split"],
    "model": config["continuation"]["model"],
}
CONTINUATION_VARIANT = {
    "variant": "|".join(config["continuation"]["protocols"] + CONTINUATION_ABLATIONS)
}
CONTINUATION_TRAIN = model_step(
    "continuation_train",
    "{variant}",
    input={
        **CONTINUATION_RECORDINGS,
        "split": lambda wildcards: f"{CONTINUATION}/splits/{wildcards.variant.split('-')[0]}.csv",
    },
    params={**CONTINUATION_SETTINGS, "training": seeded("continuation")},
    constraints=CONTINUATION_VARIANT,
).output
CONTINUATION_GENERATED = {"wav": "generated.wav", "drift": "drift.csv"}
model_step(
    "continuation_generate",
    "{variant}",
    files={**CONTINUATION_GENERATED, "metrics": "generation.json"},
    input={
        **CONTINUATION_RECORDINGS,
        "model": CONTINUATION_TRAIN["model"],
        "metrics": CONTINUATION_TRAIN["metrics"],
    },
    params={
        **CONTINUATION_SETTINGS,
        "generation": config["continuation"]["generation"],
        "drift": config["continuation"]["drift"],
    },
    constraints=CONTINUATION_VARIANT,
)
figures_step(
    "continuation",
    {
        **CONTINUATION_RECORDINGS,
        **first_seed(
            "continuation",
            "{protocol}",
            {
                "history": "history.csv",
                "metrics": "metrics.json",
                **CONTINUATION_GENERATED,
                "generation": "generation.json",
            },
        ),
    },
    CONTINUATION_FIGURES,
    protocols=config["continuation"]["protocols"],
    rate=config["continuation"]["audio"]["rate"],
)
