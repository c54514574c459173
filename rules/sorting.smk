# sorting: a network learns to un-shuffle chunks of audio; noise and tone controls (seed 002).
# songs (mp3) -> 16-kHz mono WAV; controls -> one training job per grid point -> the grid
# table and the claims measured on it -> figures and sounds.
from audiorepro.plots import figure_files
from audiorepro.sorting.data import grid_points
from audiorepro.sorting.figures import FIGURES as SORTING_DRAWN

SORTING = f"{RESULTS}/sorting"
SORTING_FIGURES = figure_files(SORTING_DRAWN)  # the notebook draws each (plots.Drawer)
SORTING_POINTS = grid_points(config["sorting"]["grid"])
# the longest span a music grid point cuts from one song: its chunks and the widest pads
SORTING_SPAN_SECONDS = max(
    [
        p["sample_length"] * p["n_chunks"]
        + (p["n_chunks"] - 1) * config["sorting"]["sampling"]["pad_seconds"][1]
        for p in SORTING_POINTS.values()
        if p["dataset"] == "music"
    ]
    or [0.0]
)


SORTING_SEEDS = study_seeds("sorting")  # each grid point trains with each seed


SORTING_TARGETS = [f"{SORTING}/figures/{f}" for f in SORTING_FIGURES] + [
    f"{SORTING}/grid.csv",
    f"{SORTING}/claims.json",
]
register_study("sorting", SORTING_TARGETS, coverage=["coverage/convert.json"])


rule sorting_raw:
    input:
        code=code("sorting_raw.py"),
    output:
        raw=directory(f"{SORTING}/raw"),
        truth=f"{SORTING}/ground_truth.csv",
    log:
        f"{SORTING}/logs/raw.log",
    benchmark:
        f"{SORTING}/benchmarks/raw.tsv"
    conda:
        CONDA_ENV
    params:
        source=config["sorting"]["source"],
        synthetic=config["sorting"]["synthetic"],
        members=None,  # every audio file of a local folder
        kaggle_kind=None,
        staging=f"{RESOURCES}/sorting",
    script:
        "../scripts/sorting_raw.py"


rule sorting_convert:
    input:
        code=code("recordings_convert.py"),
        raw=rules.sorting_raw.output.raw,
    output:
        audio=directory(f"{SORTING}/audio/music"),
        table=f"{SORTING}/audio/music.csv",
        coverage=f"{SORTING}/coverage/convert.json",
    log:
        f"{SORTING}/logs/convert.log",
    benchmark:
        f"{SORTING}/benchmarks/convert.tsv"
    conda:
        CONDA_ENV
    params:
        rate=config["sorting"]["audio"]["rate"],
        source=config["sorting"]["source"],  # errors name the user's own file
        short=short_recordings(
            "sorting", SORTING_SPAN_SECONDS, "sorting.grid (sample_length x n_chunks)"
        ),
    script:
        "../scripts/recordings_convert.py"


rule sorting_controls:
    input:
        code=code("sorting_controls.py"),
    output:
        controls=directory(f"{SORTING}/audio/controls"),
        truth=f"{SORTING}/audio/controls.csv",
    log:
        f"{SORTING}/logs/controls.log",
    benchmark:
        f"{SORTING}/benchmarks/controls.tsv"
    conda:
        CONDA_ENV
    params:
        controls=config["sorting"]["controls"],
        rate=config["sorting"]["audio"]["rate"],
    script:
        "../scripts/sorting_controls.py"


rule sorting_train:
    input:
        code=code("sorting_train.py"),
        music=rules.sorting_convert.output.audio,
        controls=rules.sorting_controls.output.controls,
    output:
        model=f"{SORTING}/models/{{point}}/seed{{seed}}/model.keras",
        history=f"{SORTING}/models/{{point}}/seed{{seed}}/history.csv",
        metrics=f"{SORTING}/models/{{point}}/seed{{seed}}/metrics.json",
    log:
        f"{SORTING}/logs/train_{{point}}_seed{{seed}}.log",
    wildcard_constraints:
        point="|".join(SORTING_POINTS),
        seed=r"\d+",
    cache: output_cache("sorting")
    group:
        "sorting_grid"  # on a cluster, --group-components sorting_grid=N packs N points a job
    conda:
        CONDA_ENV
    threads: TRAINING_THREADS
    resources:
        gpu=TRAINING_GPUS,
    params:
        point=lambda wildcards: SORTING_POINTS[wildcards.point],
        rate=config["sorting"]["audio"]["rate"],
        control_segments=config["sorting"]["controls"]["segments"],
        sampling=seeded("sorting", "sampling"),  # each replicate its own samples and split
        model=config["sorting"]["model"],
        training=seeded("sorting"),
        backend=KERAS_BACKEND,
    script:
        "../scripts/sorting_train.py"


rule sorting_collect:
    input:
        code=code("sorting_collect.py"),
        metrics=expand(
            f"{SORTING}/models/{{point}}/seed{{seed}}/metrics.json",
            point=SORTING_POINTS,
            seed=SORTING_SEEDS,
        ),
    output:
        table=report(
            f"{SORTING}/grid.csv",
            caption="../reports/captions/sorting.rst",
            category="sorting",
        ),
        seeds=f"{SORTING}/grid_seeds.csv",
        claims=f"{SORTING}/claims.json",
    log:
        f"{SORTING}/logs/collect.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/sorting_collect.py"


rule sorting_figures:
    input:
        notebook=NOTEBOOKS / "sorting.ipynb",
        code=code("run_notebook.py", "../reports/sorting.ipynb"),
        music=rules.sorting_convert.output.audio,
        controls=rules.sorting_controls.output.controls,
        grid=rules.sorting_collect.output.table,
    output:
        figures=report(
            [f"{SORTING}/figures/{f}" for f in SORTING_FIGURES],
            caption="../reports/captions/sorting.rst",
            category="sorting",
        ),
        notebook=f"{SORTING}/figures/sorting.ipynb",
    log:
        f"{SORTING}/logs/figures.log",
    conda:
        CONDA_ENV
    params:
        parameters=lambda wildcards, input, output: notebook_parameters(
            input,
            output,
            rate=config["sorting"]["audio"]["rate"],
            listening=config["sorting"]["listening"],
            pad_seconds=config["sorting"]["sampling"]["pad_seconds"],
            diagram_seconds=next(iter(SORTING_POINTS.values()))["sample_length"],
        ),
    script:
        "../scripts/run_notebook.py"
