"""Rule catsdogs_ablations: claims C4 (fewer filters) and C5 (the kernel x stride grid) from the
ablation variants' replicates, beside the configured model's."""

from audiorepro import rule
from audiorepro.atomic import write_json
from audiorepro.catsdogs.evaluate import ablation_summary_of_files


def main(snakemake):
    summary = ablation_summary_of_files(snakemake.input.base, snakemake.input.variants,
                                        snakemake.params.names, snakemake.params.model)
    write_json(snakemake.output[0], summary)
    rule.log.info("grid best %s (%.3f); k4/k5 stride 2 %s, others %s", summary["grid_best"],
                  summary["grid"].get(summary["grid_best"]) or float("nan"),
                  summary["stride2_k45_best"], summary["others_best"])


rule.run(snakemake, main)  # noqa: F821
