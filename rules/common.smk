# What every study uses: the configuration check, paths, the target registry, notebook
# parameters and the source files each entry point imports. No study is named here: each
# rules/<study>.smk registers its own targets with register_study().
import os
import re
import sys
from types import SimpleNamespace

import yaml as _yaml
from snakemake.io import flag

# TensorFlow's C++ start-up notices (oneDNN, CPU instructions) would fill the console between
# Snakemake's progress lines; every job inherits this. TF_CPP_MIN_LOG_LEVEL=0 brings them back.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from audiorepro.config import ConfigError, validate_config
from audiorepro.imports import entry_point_sources
from audiorepro.scheduling import training_resources, without_rate_limit

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
    targets=(),
    claims_context=None,
    claims_files=None,
    ground_truth=True,
    coverage=None,
):
    """Called by rules/<study>.smk: ``targets`` lists files `rule all` builds for it beside
    its figures (:func:`figures_step`) and replicate summaries (:func:`register_replicates`);
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
    STUDY_TARGETS[name] = list(targets)
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


def register_replicates(study, variants, shown, seeds=None, metrics=("metrics.json",)):
    """Called by rules/<study>.smk: each of ``variants`` (paths under models/) gets its seeds
    summed up (``models/<variant>/replicates.json``, a target) and drawn
    (``figures/replicates/<variant>.png``), showing ``shown`` (dotted keys of its metrics
    files, with labels); ``seeds(variant)`` gives a variant's seeds where they are not the
    study's (:func:`study_seeds`); ``metrics`` names each seed's files
    (``models/<variant>/seed<n>/<file>``) that are summed up: the first's numbers keep their
    keys, the others' go under their stem."""
    STUDY_TARGETS[study] += [
        f"{RESULTS}/{study}/{path}"
        for variant in variants
        for path in (
            f"models/{variant}/replicates.json",
            f"figures/replicates/{variant}.png",
        )
    ]
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
    cannot drift; declared as inputs, a code change reruns exactly what depends on it. A
    package module given (``audiorepro/<study>/train.py``: what a shared entry point imports by
    the rule's name) counts with its own imports.
    """
    sources = sorted(
        {
            f
            for script in scripts
            for f in entry_point_sources(SCRIPTS / script, SCRIPTS)
            + ([str(SCRIPTS / script)] if script.startswith("audiorepro/") else [])
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


# ---- steps: every rule of a study is declared once, as a step, by rules/<study>.smk (its own
# stages with step(), the shapes the studies share with raw_step, convert_step, split_step,
# model_step and figures_step); rules/steps.smk makes the rules. What rules share (the code
# inputs, the log, the environment, threads, GPU and cache) is written there once.
STEPS = {}  # rule name -> its step (a SimpleNamespace), in declaration order
# the protocols a study's schema allows: a {protocol} wildcard matches those (a configuration
# may need one it does not list in <study>.protocols: the split a study trains on, the protocol an
# ablation is based on)
PROTOCOLS = {
    path.stem: schema["properties"]["protocols"]["items"]["enum"]
    for path in sorted((Path(workflow.basedir) / "config" / "schema").glob("*.yaml"))
    for schema in [_yaml.safe_load(path.read_text())]
    if "protocols" in schema["properties"]
}


def _wildcards(paths):
    """The wildcard names of ``paths`` in first-seen order (``{name}`` or ``{name,regex}``)."""
    found = re.findall(r"(?<!{){(\w+)(?:,[^}]*)?}(?!})", " ".join(map(str, paths)))
    return list(dict.fromkeys(found))


def _plain(path):
    """A path (or list of paths) without Snakemake's flags, for use as another rule's input."""
    return str(path) if isinstance(path, str) else [str(p) for p in path]


def _under(folder, path):
    """``path`` (or each of a list) under ``folder``, its flags (``directory()``,
    ``report()``) kept."""
    if not isinstance(path, str):
        return [_under(folder, p) for p in path]
    made = f"{folder}/{path}"
    for kind, value in getattr(path, "flags", {}).items():
        made = flag(made, kind, value)
    return made


def step(
    name,
    output,
    script=None,
    input=None,
    params=None,
    log=None,
    constraints=None,
    threads=1,
    modules=(),
):
    """Declare ``name`` (``<study>_<stage>``), a rule that ``script`` (under scripts/; default
    ``<name>.py``) runs; its code inputs are what that script and ``modules`` import
    (:func:`code`); ``output`` (paths under results/<study>/), ``input`` and ``params`` are
    named as the script reads them. Its log is ``results/<study>/logs/<log>.log`` (default:
    the stage and the outputs' wildcards, e.g. ``split_{protocol}``). Returns the step: its ``output`` names the files that later steps read
    (whole plain paths; the flags such as ``directory()`` are kept in ``flagged`` for the rule
    itself).
    """
    study, stage = name.split("_", 1)
    flagged = {key: _under(f"{RESULTS}/{study}", path) for key, path in output.items()}
    wildcards = _wildcards(output.values())
    log = log or "_".join([stage] + [f"{{{w}}}" for w in wildcards])
    script = script or f"{name}.py"
    if "protocol" in wildcards and study in PROTOCOLS:
        constraints = {"protocol": "|".join(PROTOCOLS[study]), **(constraints or {})}
    made = SimpleNamespace(
        name=name,
        study=study,
        code=code(script, *modules),
        script=f"../scripts/{script}",
        input=dict(input or {}),
        flagged=flagged,
        output={key: _plain(path) for key, path in flagged.items()},
        params=dict(params or {}),
        constraints=dict(constraints or {}),
        threads=threads,
        log=f"{RESULTS}/{study}/logs/{log}.log",
        gpus=0,
        cache=False,
        group=None,
    )
    STEPS[name] = made
    return made


def raw_step(study, synthetic=None, members=None, kaggle_kind=None):
    """``<study>_raw``: the study's data set in its original layout from the configured source
    (audiorepro.raw), generated by ``audiorepro.<study>.synth`` where synthetic; ``members``
    are the original layout's files and folders (None: every audio file of a local folder).
    """
    return step(
        f"{study}_raw",
        {"raw": directory("raw"), "truth": "ground_truth.csv"},
        script="raw.py",
        modules=[f"audiorepro/{study}/synth.py"],
        params={
            "source": config[study]["source"],
            "synthetic": synthetic or config[study]["synthetic"],
            "members": members,
            "kaggle_kind": kaggle_kind,
            "staging": f"{RESOURCES}/{study}",
        },
    )


def convert_step(study, raw, seconds, key, audio="audio"):
    """``<study>_convert``: every recording of ``raw`` to 16-bit mono WAV at the study's rate
    in ``<audio>/`` with its table ``<audio>.csv``; recordings shorter than ``seconds`` (the
    setting ``key`` decides it) stop the job or are left out (:func:`short_recordings`).
    """
    return step(
        f"{study}_convert",
        {
            "audio": directory(audio),
            "table": f"{audio}.csv",
            "coverage": "coverage/convert.json",
        },
        script="recordings_convert.py",
        input={"raw": raw.output["raw"]},
        params={
            "rate": config[study]["audio"]["rate"],
            "source": config[study]["source"],  # errors name the user's own file
            "short": short_recordings(study, seconds, key),
        },
    )


def split_step(study, output, input, **params):
    """``<study>_split``: the study's split tables (the original's protocol and a clean one,
    seeded), from its ``split`` settings and ``params``."""
    return step(
        f"{study}_split",
        output,
        input=input,
        params={"split": config[study]["split"], **params},
    )


TRAINED = {"model": "model.keras", "history": "history.csv", "metrics": "metrics.json"}


def model_step(name, variant, input, params, files=None, constraints=None, group=None):
    """``name`` (``<study>_<stage>``), a training or inference job:
    ``audiorepro.<study>.<stage>.run`` writes ``files`` ({name: file}; a training step:
    :data:`TRAINED` and these) under ``models/<variant>/seed{seed}/``, with the job's Keras
    backend (a parameter: part of the output cache's hash), its GPU and threads, and
    Snakemake's between-workflow cache (:func:`output_cache`). One job a variant and seed:
    raising a study's ``replicates`` trains the new seeds only, and a failed job loses no
    other seed's files."""
    study, stage = name.split("_", 1)
    files = {**(TRAINED if stage == "train" else {}), **(files or {})}
    made = step(
        name,
        {key: f"models/{variant}/seed{{seed}}/{file}" for key, file in files.items()},
        script="model_run.py",
        modules=[f"audiorepro/{study}/{stage}.py"],
        input=input,
        params={**params, "backend": KERAS_BACKEND},
        log="_".join([stage, *Path(variant).parts, "seed{seed}"]),
        constraints={**(constraints or {}), "seed": r"\d+"},
        threads=TRAINING_THREADS,
    )
    made.gpus, made.group, made.cache = TRAINING_GPUS, group, output_cache(study)
    return made


def first_seed(study, variant, files):
    """{name: path} of ``files`` ({name: file}) of ``models/<variant>/`` for the study's first
    seed: the model the figures show."""
    folder = f"{RESULTS}/{study}/models/{variant}/seed{study_seeds(study)[0]}"
    return {name: f"{folder}/{file}" for name, file in files.items()}


def figures_step(study, input, figures, protocols=None, **parameters):
    """``<study>_figures``: the study's notebook (reports/<study>.ipynb) run by papermill draws
    ``figures`` (file names) into ``figures/``, or ``figures/{protocol}/`` for each of
    ``protocols``, each a report item and a target; the notebook gets every named input and
    ``parameters`` (and the protocol)."""
    where = "figures/{protocol}" if protocols else "figures"
    by_protocol = {"subcategory": "{protocol}"} if protocols else {}

    def notebook_values(wildcards, input, output):
        protocol = {"protocol": wildcards.protocol} if protocols else {}
        return notebook_parameters(input, output, **protocol, **parameters)

    made = step(
        f"{study}_figures",
        {
            "figures": report(
                [f"{where}/{f}" for f in figures],
                caption=f"../reports/captions/{study}.rst",
                category=study,
                **by_protocol,
            ),
            "notebook": f"{where}/{study}.ipynb",
        },
        script="run_notebook.py",
        modules=[f"../reports/{study}.ipynb"],
        input={"notebook": NOTEBOOKS / f"{study}.ipynb", **input},
        params={"parameters": notebook_values},
    )
    drawn = made.output["figures"]
    STUDY_TARGETS[study] += expand(drawn, protocol=protocols) if protocols else drawn
    return made
