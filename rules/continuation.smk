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
CONTINUATION_MODEL = f"{CONTINUATION}/models/{{protocol}}/seed{CONTINUATION_SEEDS[0]}"


CONTINUATION_TARGETS = expand(
    [f"{CONTINUATION}/figures/{{protocol}}/{f}" for f in CONTINUATION_FIGURES],
    protocol=config["continuation"]["protocols"],
) + expand(
    [
        f"{CONTINUATION}/models/{{variant}}/replicates.json",
        f"{CONTINUATION}/figures/replicates/{{variant}}.png",
    ],
    variant=CONTINUATION_VARIANTS,
)
register_study(
    "continuation",
    CONTINUATION_TARGETS,
    claims_files=[f"models/{v}/replicates.json" for v in CONTINUATION_VARIANTS],
    coverage=["coverage/convert.json"],
)
register_replicates(
    "continuation",
    {
        "learning_curve.best_valid": "best valid MSE",
        "best_baseline_valid": "better trivial predictor, valid MSE",
        "test_mse": "test MSE",
        "generation.drift.mean.spectral_distance": "generated audio: spectral distance (dB)",
    },
    metrics=["metrics.json", "generation.json"],
)


rule continuation_raw:
    input:
        code=code("continuation_raw.py"),
    output:
        raw=directory(f"{CONTINUATION}/raw"),
        truth=f"{CONTINUATION}/ground_truth.csv",
    log:
        f"{CONTINUATION}/logs/raw.log",
    benchmark:
        f"{CONTINUATION}/benchmarks/raw.tsv"
    conda:
        CONDA_ENV
    params:
        source=config["continuation"]["source"],
        synthetic={
            **config["continuation"]["synthetic"],
            "rate": config["continuation"]["audio"]["rate"],
        },
        members=None,  # every audio file of a local folder, or one local file
        kaggle_kind=None,
        staging=f"{RESOURCES}/continuation",
    script:
        "../scripts/continuation_raw.py"


rule continuation_convert:
    input:
        code=code("recordings_convert.py"),
        raw=rules.continuation_raw.output.raw,
    output:
        audio=directory(f"{CONTINUATION}/audio"),
        table=f"{CONTINUATION}/audio.csv",
        coverage=f"{CONTINUATION}/coverage/convert.json",
    log:
        f"{CONTINUATION}/logs/convert.log",
    benchmark:
        f"{CONTINUATION}/benchmarks/convert.tsv"
    conda:
        CONDA_ENV
    params:
        rate=config["continuation"]["audio"]["rate"],
        source=config["continuation"]["source"],  # errors name the user's own file
        # one sequence: seq_len frames of `frame` samples (no sequence straddles two recordings)
        short=short_recordings(
            "continuation",
            config["continuation"]["model"]["seq_len"]
            * config["continuation"]["model"]["frame"]
            / config["continuation"]["audio"]["rate"],
            "continuation.model.seq_len",
        ),
    script:
        "../scripts/recordings_convert.py"


rule continuation_split:
    input:
        code=code("continuation_split.py"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
    output:
        table=f"{CONTINUATION}/splits/{{protocol}}.csv",
    log:
        f"{CONTINUATION}/logs/split_{{protocol}}.log",
    benchmark:
        f"{CONTINUATION}/benchmarks/split_{{protocol}}.tsv"
    wildcard_constraints:
        protocol="original|clean",
    conda:
        CONDA_ENV
    params:
        rate=config["continuation"]["audio"]["rate"],
        split=config["continuation"]["split"],
        frame=config["continuation"]["model"]["frame"],
        seq_len=config["continuation"]["model"]["seq_len"],
    script:
        "../scripts/continuation_split.py"


rule continuation_train:
    input:
        code=code("continuation_train.py"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
        split=lambda wildcards: f"{CONTINUATION}/splits/{wildcards.variant.split('-')[0]}.csv",
    output:
        model=f"{CONTINUATION}/models/{{variant}}/seed{{seed}}/model.keras",
        history=f"{CONTINUATION}/models/{{variant}}/seed{{seed}}/history.csv",
        metrics=f"{CONTINUATION}/models/{{variant}}/seed{{seed}}/metrics.json",
    log:
        f"{CONTINUATION}/logs/train_{{variant}}_seed{{seed}}.log",
    wildcard_constraints:
        variant="|".join(config["continuation"]["protocols"] + CONTINUATION_ABLATIONS),
        seed=r"\d+",
    cache: output_cache("continuation")
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        rate=config["continuation"]["audio"]["rate"],
        split=config["continuation"]["split"],
        model=config["continuation"]["model"],
        training=seeded("continuation"),
        backend=KERAS_BACKEND,
    script:
        "../scripts/continuation_train.py"


rule continuation_generate:
    input:
        code=code("continuation_generate.py"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
        model=rules.continuation_train.output.model,
        metrics=rules.continuation_train.output.metrics,
    output:
        wav=f"{CONTINUATION}/models/{{variant}}/seed{{seed}}/generated.wav",
        drift=f"{CONTINUATION}/models/{{variant}}/seed{{seed}}/drift.csv",
        metrics=f"{CONTINUATION}/models/{{variant}}/seed{{seed}}/generation.json",
    log:
        f"{CONTINUATION}/logs/generate_{{variant}}_seed{{seed}}.log",
    wildcard_constraints:
        variant="|".join(config["continuation"]["protocols"] + CONTINUATION_ABLATIONS),
        seed=r"\d+",
    cache: output_cache("continuation")
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        rate=config["continuation"]["audio"]["rate"],
        split=config["continuation"]["split"],
        model=config["continuation"]["model"],
        generation=config["continuation"]["generation"],
        drift=config["continuation"]["drift"],
        backend=KERAS_BACKEND,
    script:
        "../scripts/continuation_generate.py"


rule continuation_figures:
    input:
        notebook=NOTEBOOKS / "continuation.ipynb",
        code=code("run_notebook.py", "../reports/continuation.ipynb"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
        history=f"{CONTINUATION_MODEL}/history.csv",
        metrics=f"{CONTINUATION_MODEL}/metrics.json",
        wav=f"{CONTINUATION_MODEL}/generated.wav",
        drift=f"{CONTINUATION_MODEL}/drift.csv",
        generation=f"{CONTINUATION_MODEL}/generation.json",
    output:
        figures=report(
            [f"{CONTINUATION}/figures/{{protocol}}/{f}" for f in CONTINUATION_FIGURES],
            caption="../reports/captions/continuation.rst",
            category="continuation",
            subcategory="{protocol}",
        ),
        notebook=f"{CONTINUATION}/figures/{{protocol}}/continuation.ipynb",
    log:
        f"{CONTINUATION}/logs/figures_{{protocol}}.log",
    conda:
        CONDA_ENV
    params:
        parameters=lambda wildcards, input, output: notebook_parameters(
            input,
            output,
            protocol=wildcards.protocol,
            rate=config["continuation"]["audio"]["rate"],
        ),
    script:
        "../scripts/run_notebook.py"
