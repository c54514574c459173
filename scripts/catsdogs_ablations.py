"""Rule catsdogs_ablations: claims C4 (fewer filters) and C5 (the kernel x stride grid) from the
ablation variants' replicates, beside the configured model's."""

import json
from pathlib import Path

from audiorepro import rule
from audiorepro.atomic import write_json
from audiorepro.catsdogs.evaluate import ablation_summary


def main(snakemake):
    read = lambda path: json.loads(Path(path).read_text())  # noqa: E731
    variants = dict(zip(snakemake.params.names, map(read, snakemake.input.variants)))
    model = snakemake.params.model
    summary = ablation_summary(read(snakemake.input.base), variants,
                               base_point=f"k{model['kernel_size']}s{model['strides']}")
    write_json(snakemake.output[0], summary)
    rule.log.info("grid best %s (%.3f); k4/k5 stride 2 %s, others %s", summary["grid_best"],
                  summary["grid"].get(summary["grid_best"]) or float("nan"),
                  summary["stride2_k45_best"], summary["others_best"])


rule.run(snakemake, main)  # noqa: F821
