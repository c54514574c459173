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


register_study(
    "sorting",
    [f"{SORTING}/grid.csv", f"{SORTING}/claims.json"],
    coverage=["coverage/convert.json"],
)


SORTING_RAW = raw_step("sorting")
SORTING_MUSIC = convert_step(
    "sorting",
    SORTING_RAW,
    SORTING_SPAN_SECONDS,
    "sorting.grid (sample_length x n_chunks)",
    audio="audio/music",
).output["audio"]
SORTING_CONTROLS = step(
    "sorting_controls",
    {"controls": directory("audio/controls"), "truth": "audio/controls.csv"},
    params={
        "controls": config["sorting"]["controls"],
        "rate": config["sorting"]["audio"]["rate"],
    },
).output["controls"]
model_step(
    "sorting_train",
    "{point}",
    input={"music": SORTING_MUSIC, "controls": SORTING_CONTROLS},
    params={
        "point": lambda wildcards: SORTING_POINTS[wildcards.point],
        "rate": config["sorting"]["audio"]["rate"],
        "control_segments": config["sorting"]["controls"]["segments"],
        # each replicate its own samples and split
        "sampling": seeded("sorting", "sampling"),
        "model": config["sorting"]["model"],
        "training": seeded("sorting"),
    },
    constraints={"point": "|".join(SORTING_POINTS)},
    group="sorting_grid",  # on a cluster, --group-components sorting_grid=N packs N points a job
)
SORTING_GRID = step(
    "sorting_collect",
    {
        "table": report(
            "grid.csv", caption="../reports/captions/sorting.rst", category="sorting"
        ),
        "seeds": "grid_seeds.csv",
        "claims": "claims.json",
    },
    input={
        "metrics": expand(
            f"{SORTING}/models/{{point}}/seed{{seed}}/metrics.json",
            point=SORTING_POINTS,
            seed=SORTING_SEEDS,
        )
    },
).output["table"]
figures_step(
    "sorting",
    {"music": SORTING_MUSIC, "controls": SORTING_CONTROLS, "grid": SORTING_GRID},
    SORTING_FIGURES,
    rate=config["sorting"]["audio"]["rate"],
    listening=config["sorting"]["listening"],
    pad_seconds=config["sorting"]["sampling"]["pad_seconds"],
    diagram_seconds=next(iter(SORTING_POINTS.values()))["sample_length"],
)
