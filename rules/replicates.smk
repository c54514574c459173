# Seed replicates: every trained variant of a study runs with <study>.replicates seeds, each a
# job of its own (models/<variant>/seed<n>/); this rule sums a variant's seeds up for the
# claims (mean, spread, 95 % interval over seeds) and draws their spread.


rule replicates:
    input:
        code=code("replicates_collect.py"),
        metrics=lambda wildcards: [
            f"{RESULTS}/{wildcards.study}/models/{wildcards.variant}/seed{seed}/{name}"
            for seed in STUDY_REPLICATE_SEEDS[wildcards.study](wildcards.variant)
            for name in STUDY_REPLICATE_FILES[wildcards.study]
        ],
    output:
        json=f"{RESULTS}/{{study}}/models/{{variant}}/replicates.json",
        figure=report(
            f"{RESULTS}/{{study}}/figures/replicates/{{variant}}.png",
            caption="../reports/captions/replicates.rst",
            category="{study}",
            subcategory="replicates",
        ),
    log:
        f"{RESULTS}/{{study}}/logs/replicates/{{variant}}.log",
    wildcard_constraints:
        study="|".join(STUDY_REPLICATE_KEYS) or "none",
        variant=".+",
    conda:
        CONDA_ENV
    params:
        seeds=lambda wildcards: STUDY_REPLICATE_SEEDS[wildcards.study](
            wildcards.variant
        ),
        files=lambda wildcards: STUDY_REPLICATE_FILES[wildcards.study],
        shown=lambda wildcards: STUDY_REPLICATE_KEYS[wildcards.study],
        title=lambda wildcards: f"{wildcards.study}: {wildcards.variant}",
    script:
        "../scripts/replicates_collect.py"
