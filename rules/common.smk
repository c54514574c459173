# Input functions and helpers shared by the study rule files. No rules here.
import sys

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from audiorepro.config import validate_config

validate_config(config, Path(workflow.basedir) / "config" / "schema.yaml")

NOTEBOOKS = Path(workflow.basedir) / "reports"  # absolute, so --directory elsewhere works
RESULTS = config["results"]
RESOURCES = config["resources"]
STUDY_TARGETS = {}  # study -> function returning its final targets; filled by each rule file


def study_config(study):
    return config[study]


def all_targets(wildcards):
    return [t for study in config["studies"] for t in STUDY_TARGETS[study]()]


def notebook_parameters(input, output, **extra):
    """Papermill parameters of a figures rule: every named input by name, the figure folder, extras."""
    named = {name: str(path) for name, path in input.items() if name != "notebook"}
    return {**named, "fig_dir": str(Path(output.notebook).parent), **extra}
