# continuation: a 3-layer LSTM that predicts the next frame of music, then generates (seed 003).
# recording -> 16-kHz mono WAV -> contiguous split and scaling per protocol -> trained model
# -> generated continuation with its drift -> figures.
from audiorepro.continuation.figures import FIGURES as CONTINUATION_FIGURES

CONTINUATION = f"{RESULTS}/continuation"
CONTINUATION_DRAWN = [f for f in CONTINUATION_FIGURES if f != "generated.wav"]


CONTINUATION_TARGETS = expand(
    [f"{CONTINUATION}/figures/{{protocol}}/{f}" for f in CONTINUATION_FIGURES]
    + [
        f"{CONTINUATION}/models/{{protocol}}/metrics.json",
        f"{CONTINUATION}/models/{{protocol}}/generation.json",
    ],
    protocol=config["continuation"]["protocols"],
)
register_study("continuation", CONTINUATION_TARGETS)


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
    log:
        f"{CONTINUATION}/logs/convert.log",
    benchmark:
        f"{CONTINUATION}/benchmarks/convert.tsv"
    conda:
        CONDA_ENV
    params:
        rate=config["continuation"]["audio"]["rate"],
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
    script:
        "../scripts/continuation_split.py"


rule continuation_train:
    input:
        code=code("continuation_train.py"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
        split=rules.continuation_split.output.table,
    output:
        model=f"{CONTINUATION}/models/{{protocol}}/model.keras",
        history=f"{CONTINUATION}/models/{{protocol}}/history.csv",
        metrics=f"{CONTINUATION}/models/{{protocol}}/metrics.json",
    log:
        f"{CONTINUATION}/logs/train_{{protocol}}.log",
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=1,
    params:
        rate=config["continuation"]["audio"]["rate"],
        split=config["continuation"]["split"],
        model=config["continuation"]["model"],
        training=config["continuation"]["training"],
        backend=config["keras_backend"],
    script:
        "../scripts/continuation_train.py"


rule continuation_generate:
    input:
        code=code("continuation_generate.py"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
        model=rules.continuation_train.output.model,
    output:
        wav=report(
            f"{CONTINUATION}/figures/{{protocol}}/generated.wav",
            caption="../reports/captions/continuation.rst",
            category="continuation",
            subcategory="{protocol}",
        ),
        drift=f"{CONTINUATION}/models/{{protocol}}/drift.csv",
        metrics=f"{CONTINUATION}/models/{{protocol}}/generation.json",
    log:
        f"{CONTINUATION}/logs/generate_{{protocol}}.log",
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=1,
    params:
        rate=config["continuation"]["audio"]["rate"],
        split=config["continuation"]["split"],
        model=config["continuation"]["model"],
        generation=config["continuation"]["generation"],
        drift=config["continuation"]["drift"],
        seed=config["continuation"]["training"]["seed"],
        backend=config["keras_backend"],
    script:
        "../scripts/continuation_generate.py"


rule continuation_figures:
    input:
        notebook=NOTEBOOKS / "continuation.ipynb",
        code=code("run_notebook.py", "../reports/continuation.ipynb"),
        audio=rules.continuation_convert.output.audio,
        table=rules.continuation_convert.output.table,
        history=rules.continuation_train.output.history,
        wav=rules.continuation_generate.output.wav,
        drift=rules.continuation_generate.output.drift,
        generation=rules.continuation_generate.output.metrics,
    output:
        figures=report(
            [f"{CONTINUATION}/figures/{{protocol}}/{f}" for f in CONTINUATION_DRAWN],
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
