# audiorepro: five deep-learning-on-audio studies, reproduced figure by figure.
# `snakemake --cores all --resources gpu=1` builds every figure of the studies named in config.
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


configfile: Path(workflow.basedir) / "config" / "config.yaml"


report: "reports/workflow.rst"


include: "rules/common.smk"
include: "rules/catsdogs.smk"
include: "rules/whales.smk"
include: "rules/continuation.smk"
include: "rules/sorting.smk"
include: "rules/orcas.smk"
include: "rules/steps.smk"
include: "rules/replicates.smk"
include: "rules/report.smk"


onstart:
    # a local run's scheduler without the rate limit whose timers pile up (audiorepro/scheduling.py)
    without_rate_limit(workflow)


rule all:
    default_target: True
    input:
        all_targets,
