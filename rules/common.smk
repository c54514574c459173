# What every study uses: the configuration check, paths, the target registry, notebook
# parameters and the source files each entry point imports. No study is named here: each
# rules/<study>.smk registers its own targets with register_study().
import os
import sys

import yaml as _yaml

# TensorFlow's C++ start-up notices (oneDNN, CPU instructions) would fill the console between
# Snakemake's progress lines; every job inherits this. TF_CPP_MIN_LOG_LEVEL=0 brings them back.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from audiorepro.config import ConfigError, validate_config
from audiorepro.imports import entry_point_sources

validate_config(config, Path(workflow.basedir) / "config" / "schema.yaml")

NOTEBOOKS = (
    Path(workflow.basedir) / "reports"
)  # absolute, so --directory elsewhere works
SCRIPTS = Path(workflow.basedir) / "scripts"
RESULTS = config["results"]
RESOURCES = config["resources"]
STUDY_TARGETS = {}
STUDY_CLAIMS_CONTEXT = (
    {}
)  # per study: values its claims' file references name, e.g. {protocol}
STUDY_CLAIMS_FILES = (
    {}
)  # per study: the result files this configuration makes for its claims
STUDY_GROUND_TRUTH = {}  # per study: whether this run has the annotations its claims may need
# the rules' conda environment for --software-deployment-method conda (relative to rules/)
CONDA_ENV = f"../envs/{config['conda_environment']}.yaml"


def register_study(
    name, targets, claims_context=None, claims_files=None, ground_truth=True
):
    """Called by rules/<study>.smk: ``targets`` lists the files `rule all` builds for it;
    ``claims_context`` fills the placeholders of its claims' file references; ``claims_files``
    (paths under results/<study>) are the files this configuration makes that its claims may
    read: a claim needing another one is "not run" (default: every file its claims name).
    ``ground_truth``: whether this run has the annotations that claims marked ``needs:
    annotations`` read (synthetic data always do; real recordings only with annotation tables).
    """
    STUDY_TARGETS[name] = targets
    STUDY_CLAIMS_CONTEXT[name] = claims_context or {}
    STUDY_CLAIMS_FILES[name] = claims_files
    STUDY_GROUND_TRUTH[name] = bool(ground_truth)


def short_recordings(study, seconds, key):
    """Params of a <study>_convert rule: recordings shorter than ``seconds`` (what one unit of
    the study's input needs; ``key`` is the setting that decides it) stop the rule, all named
    at once, or are left out with a logged count when <study>.audio.short_recordings is skip."""
    return {
        "seconds": float(seconds),
        "key": key,
        "policy": config[study]["audio"].get("short_recordings", "error"),
        "policy_key": f"{study}.audio.short_recordings",
    }


def all_targets(wildcards):
    missing = [s for s in config["studies"] if s not in STUDY_TARGETS]
    if missing:
        raise ConfigError(
            f"config key studies: {', '.join(missing)} has no rules/<study>.smk included"
        )
    return [t for study in config["studies"] for t in STUDY_TARGETS[study]] + [
        f"{RESULTS}/claims.csv",
        f"{RESULTS}/claims.md",
        f"{RESULTS}/claims_summary.csv",
    ]


def code(*scripts):
    """Input function: the package modules that ``scripts/<script>`` (an entry point, or a
    notebook given relative to scripts/) imports, found by reading its imports so that the list
    cannot drift; declared as inputs, a code change reruns exactly what depends on it.
    """
    sources = sorted(
        {
            f
            for script in scripts
            for f in entry_point_sources(SCRIPTS / script, SCRIPTS)
        }
    )

    def files(wildcards):
        return sources

    return files


def notebook_parameters(input, output, **extra):
    """Papermill parameters of a figures rule: every named input by name, the figure folder, extras."""
    named = {
        name: (str(path) if isinstance(path, str) else [str(p) for p in path])
        for name, path in input.items()
        if name not in ("notebook", "code")
    }
    return {**named, "fig_dir": str(Path(output.notebook).parent), **extra}


def expand_each(pattern, **values):
    """Input function: ``pattern`` with the job's wildcards filled in, expanded over ``values``
    (e.g. one file of every sweep member of the job's protocol)."""
    return lambda wildcards: expand(pattern, **wildcards, **values)


# ---- the claims table (rules/report.smk): which result files each study's claims read
CLAIMS_FILES = {
    p.parent.name: p for p in sorted((SCRIPTS / "audiorepro").glob("*/claims.yaml"))
}


def claims_context(study):
    return STUDY_CLAIMS_CONTEXT.get(study, {})


def claim_files(study):
    """The result files (under results/<study>) the study's claims read in this configuration."""
    files = []
    for claim in _yaml.safe_load(CLAIMS_FILES[study].read_text()):
        if claim["rule"]["kind"] == "not_run":
            continue
        refs = claim.get("measure", [])
        for ref in [refs] if isinstance(refs, str) else refs:
            files.append(ref.partition(":")[0].format(**claims_context(study)))
    made = STUDY_CLAIMS_FILES.get(study)
    return sorted({f for f in files if made is None or f in made})


def claim_inputs(wildcards):
    """Every results file a claim of a study in this run reads, so claims come last."""
    return [
        f"{RESULTS}/{study}/{name}"
        for study in config["studies"]
        for name in claim_files(study)
    ]
