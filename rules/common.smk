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
from audiorepro.scheduling import training_resources

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
STUDY_GROUND_TRUTH = (
    {}
)  # per study: whether this run has the annotations its claims may need
STUDY_COVERAGE = {}  # per study: the coverage files (results/<study>/...) of claims
STUDY_REPLICATE_KEYS = {}  # per study: {metrics key: label} that replicates.png shows
STUDY_REPLICATE_SEEDS = {}  # per study: variant -> its seeds
STUDY_REPLICATE_FILES = (
    {}
)  # per study: the files of each seed that replicates.json sums up
# the rules' conda environment for --software-deployment-method conda (relative to rules/)
CONDA_ENV = f"../envs/{config['conda_environment']}.yaml"
# each training or inference job: 1 GPU and 2 threads on a GPU; none and 1 thread on a CPU
# alone, so that trainings run side by side (audiorepro/scheduling.py, config key gpu)
TRAINING_GPUS, TRAINING_THREADS = training_resources(config["gpu"])
# the Keras backend the training and inference jobs use (KERAS_BACKEND in the environment wins
# over config key keras_backend): a parameter, so that it is part of the output cache's hash
KERAS_BACKEND = os.environ.get("KERAS_BACKEND") or config["keras_backend"]


_UNCACHED = set()  # studies output_cache() said it does not cache


def output_cache(study):
    """The ``cache:`` directive of a study's expensive rules (docs/cache.md): eligible for
    Snakemake's between-workflow cache (``--cache`` with SNAKEMAKE_OUTPUT_CACHE) where that
    variable is set, the conda environment left out of the hash. A study whose source is
    ``local`` is not: the hash would hold the folder's name but not the recordings in it.
    """
    if not os.environ.get("SNAKEMAKE_OUTPUT_CACHE"):
        return False  # no cache: no "eligible for caching" notice on every run
    if config[study]["source"]["kind"] == "local":
        if workflow.workflow_settings.cache is not None and study not in _UNCACHED:
            _UNCACHED.add(study)
            print(
                f"{study}: not cached between workflows: {study}.source.kind is local, and "
                "the cache's hash would not cover the recordings in that folder "
                "(docs/cache.md)",
                file=sys.stderr,
            )
        return False
    return "omit-software"


def register_study(
    name,
    targets,
    claims_context=None,
    claims_files=None,
    ground_truth=True,
    coverage=None,
):
    """Called by rules/<study>.smk: ``targets`` lists the files `rule all` builds for it;
    ``claims_context`` fills the placeholders of its claims' file references; ``claims_files``
    (paths under results/<study>) are the files this configuration makes that its claims may
    read: a claim needing another one is "not run" (default: every file its claims name).
    ``ground_truth``: whether this run has the annotations that claims marked ``needs:
    annotations`` read (synthetic data always do; real recordings only with annotation tables).
    ``coverage`` (paths under results/<study>): files saying what its conversion kept of the
    recordings or annotations (``{"kept", "total", "what", "warnings"}``); their warnings are a
    caveat on every claim row of the study.
    """
    STUDY_COVERAGE[name] = list(coverage or [])
    STUDY_TARGETS[name] = targets
    STUDY_CLAIMS_CONTEXT[name] = claims_context or {}
    STUDY_CLAIMS_FILES[name] = claims_files
    STUDY_GROUND_TRUTH[name] = bool(ground_truth)


def study_seeds(study):
    """The seeds of a study's replicates: training.seed, training.seed + 1, ... (``<study>.
    replicates`` of them). Each is a training job of its own (``models/<variant>/seed<n>/``);
    raising the count keeps the seeds already trained."""
    first = config[study]["training"]["seed"]
    return [first + r for r in range(config[study].get("replicates", 1))]


def seeded(study, section="training"):
    """Params input function: the study's ``section`` settings with the job's replicate seed:
    replicate r (the job's seed is training.seed + r) gets ``section``'s seed + r."""
    offset = lambda wildcards: int(wildcards.seed) - study_seeds(study)[0]
    return lambda wildcards: {
        **config[study][section],
        "seed": config[study][section]["seed"] + offset(wildcards),
    }


def register_replicates(study, shown, seeds=None, metrics=("metrics.json",)):
    """Called by rules/<study>.smk: the numbers (dotted keys of its metrics files, with labels)
    that ``figures/replicates/<variant>.png`` shows for each variant's seeds; ``seeds(variant)``
    gives a variant's seeds where they are not the study's (:func:`study_seeds`); ``metrics``
    names each seed's files (``models/<variant>/seed<n>/<file>``) that are summed up: the
    first's numbers keep their keys, the others' go under their stem."""
    STUDY_REPLICATE_KEYS[study] = shown
    STUDY_REPLICATE_SEEDS[study] = seeds or (lambda variant: study_seeds(study))
    STUDY_REPLICATE_FILES[study] = list(metrics)


def short_recordings(study, seconds, key):
    """Params of a <study>_convert rule: recordings shorter than ``seconds`` (what one unit of
    the study's input needs; ``key`` is the setting that decides it) stop the rule, all named
    at once, or are left out with a logged count when <study>.audio.short_recordings is skip.
    """
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
