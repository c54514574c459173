# Input functions and helpers shared by the study rule files. No rules here.
import sys

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from audiorepro.config import ConfigError, validate_config

validate_config(config, Path(workflow.basedir) / "config" / "schema.yaml")

NOTEBOOKS = (
    Path(workflow.basedir) / "reports"
)  # absolute, so --directory elsewhere works
RESULTS = config["results"]
RESOURCES = config["resources"]

# ---- catsdogs
CATSDOGS = f"{RESULTS}/catsdogs"
CATSDOGS_FIGURES = [
    "audio_beginning.png",
    "model_acc.png",
    "model_summary.txt",
    "dog_main_ex.png",
    "predict_dog_test.txt",
    *[f"activ_{i}.png" for i in range(1, config["catsdogs"]["model"]["blocks"] + 1)],
    "dog_main_pooling_output.png",
    "global_pooling_second_dog.png",
    "global_pooling_cat_1.png",
    "sigmoid_weights.png",
    "filter_weights.png",
]


def catsdogs_targets():
    return expand(
        [f"{CATSDOGS}/figures/{{protocol}}/{f}" for f in CATSDOGS_FIGURES]
        + [f"{CATSDOGS}/models/{{protocol}}/metrics.json"],
        protocol=config["catsdogs"]["protocols"],
    )


def catsdogs_notebook_parameters(wildcards, input, output):
    return notebook_parameters(
        input,
        output,
        protocol=wildcards.protocol,
        rate=config["catsdogs"]["audio"]["rate"],
        training=config["catsdogs"]["training"],
    )


# ---- whales
WHALES = f"{RESULTS}/whales"
WHALES_FIGURES = [
    "train4_specgram.png",
    "train4.png",
    "train6.png",
    "class_histogram.png",
    "baseline_accuracy.png",
    "model_list.png",
    "lr_sweep.csv",
    "roc.png",
]
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


def whales_targets():
    split = config["whales"]["split"]["train_on"]
    return [f"{WHALES}/figures/{split}/{f}" for f in WHALES_FIGURES] + expand(
        f"{WHALES}/splits/{{scheme}}.csv", scheme=config["whales"]["splits"]
    )


def whales_sweep_files(kind):
    """One file of each sweep member (metrics, history, predictions) for the figures rule."""

    def files(wildcards):
        return expand(
            f"{WHALES}/models/{wildcards.scheme}/{{variant}}/{kind}",
            variant=WHALES_VARIANTS,
        )

    return files


def whales_notebook_parameters(wildcards, input, output):
    params = notebook_parameters(
        input,
        output,
        scheme=wildcards.scheme,
        variants=WHALES_VARIANTS,
        baseline=config["whales"]["baseline"],
    )
    params.update(
        metrics=list(input.metrics),
        histories=list(input.histories),
        predictions=list(input.predictions),
        raw=str(input.raw),
    )
    return params


# ---- all studies
STUDY_TARGETS = {"catsdogs": catsdogs_targets, "whales": whales_targets}


def all_targets(wildcards):
    return [t for study in config["studies"] for t in STUDY_TARGETS[study]()]


def notebook_parameters(input, output, **extra):
    """Papermill parameters of a figures rule: every named input by name, the figure folder, extras."""
    named = {name: str(path) for name, path in input.items() if name != "notebook"}
    return {**named, "fig_dir": str(Path(output.notebook).parent), **extra}
