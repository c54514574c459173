# The claims table: every claim of every original beside what the run measured, with a verdict;
# and the report's front page (Snakefile's `report:`). A study registers what its claims read.
import yaml as _yaml

CLAIMS_FILES = {
    p.parent.name: p for p in sorted((SCRIPTS / "audiorepro").glob("*/claims.yaml"))
}


def claims_context(study):
    return STUDY_CLAIMS_CONTEXT.get(study, {})


def claim_inputs(wildcards):
    """Every results file a claim of a study in this run reads, so claims come last."""
    files = []
    for study in config["studies"]:
        for claim in _yaml.safe_load(CLAIMS_FILES[study].read_text()):
            if claim["rule"]["kind"] == "not_run":
                continue
            refs = claim.get("measure", [])
            for ref in [refs] if isinstance(refs, str) else refs:
                name = ref.partition(":")[0].format(**claims_context(study))
                files.append(f"{RESULTS}/{study}/{name}")
    return sorted(set(files))


rule claims:
    input:
        code=code("claims_table.py"),
        claims=list(CLAIMS_FILES.values()),
        results=claim_inputs,
    output:
        csv=report(
            f"{RESULTS}/claims.csv",
            caption="../reports/captions/claims.rst",
            category="0 claims",
        ),
        md=f"{RESULTS}/claims.md",
        summary=f"{RESULTS}/claims_summary.csv",  # the report's front page shows it
    log:
        f"{RESULTS}/logs/claims.log",
    conda:
        CONDA_ENV
    params:
        results=RESULTS,
        studies=config["studies"],
        built=lambda wildcards: sorted(STUDY_TARGETS),
        contexts=lambda wildcards: {s: claims_context(s) for s in config["studies"]},
        sources=lambda wildcards: {s: config[s]["source"]["kind"] for s in config["studies"]},
        configuration=lambda wildcards: {s: config[s] for s in config["studies"]},
    script:
        "../scripts/claims_table.py"
