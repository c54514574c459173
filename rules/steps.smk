# The rules of every study, one shape, made from the steps that rules/<study>.smk declared
# (common.smk: step, raw_step, convert_step, split_step, model_step, figures_step). Training
# and inference steps are eligible for Snakemake's between-workflow cache (output_cache), which
# refuses a `benchmark:` on the same rule: so no rule has one, and every job's log ends with
# its wall time, CPU time and peak memory instead (audiorepro.rule.run).

for s in STEPS.values():

    rule:
        name:
            s.name
        input:
            **s.input,
            code=s.code,
        output:
            **s.flagged,
        log:
            s.log,
        wildcard_constraints:
            **s.constraints,
        cache: s.cache
        group:
            s.group
        conda:
            CONDA_ENV
        threads: s.threads
        resources:
            gpu=s.gpus,
        params:
            **s.params,
        script:
            # evaluated twice: when the rule is made (this step: `s`), and when a job runs,
            # where the loop is over (`s` is the last step) but `rule` names the job's rule
            # (Snakemake's argument; never define a global named `rule`)
            (STEPS[locals()["rule"]] if "rule" in locals() else s).script
