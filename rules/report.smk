# The claims table: every claim of every original beside what the run measured, with a verdict;
# and the report's front page (Snakefile's `report:`). A study registers what its claims read.

CLAIMS_FILES = {
    p.parent.name: p for p in sorted((SCRIPTS / "audiorepro").glob("*/claims.yaml"))
}


rule claims:
    input:
        code=code("claims_table.py"),
        claims=list(CLAIMS_FILES.values()),
        results=claim_inputs,
        coverage=lambda wildcards: [
            f"{RESULTS}/{s}/{c}"
            for s in config["studies"]
            for c in STUDY_COVERAGE.get(s, [])
        ],
    output:
        csv=report(
            f"{RESULTS}/claims.csv",
            caption="../reports/captions/claims.rst",
            category="claims",
        ),
        md=f"{RESULTS}/claims.md",
        summary=f"{RESULTS}/claims_summary.csv",  # the report's front page shows it
    log:
        f"{RESULTS}/logs/claims.log",
    conda:
        CONDA_ENV
    params:
        results=lambda wildcards, output: str(Path(output.csv).parent),
        basedir=lambda wildcards: workflow.basedir,  # for the commit and the code hashes
        studies=config["studies"],
        built=lambda wildcards: sorted(STUDY_TARGETS),
        contexts=lambda wildcards: {s: claims_context(s) for s in config["studies"]},
        available=lambda wildcards: {s: claim_files(s) for s in config["studies"]},
        sources=lambda wildcards: {
            s: config[s]["source"]["kind"] for s in config["studies"]
        },
        configuration=lambda wildcards: {s: config[s] for s in config["studies"]},
        coverage=lambda wildcards: {
            s: STUDY_COVERAGE.get(s, []) for s in config["studies"]
        },
        ground_truth=lambda wildcards: {
            s: STUDY_GROUND_TRUTH.get(s, True) for s in config["studies"]
        },
    script:
        "../scripts/claims_table.py"
