"""Rules <study>_raw: a study's data set in its original layout, from the configured source.

synthetic: the study's generator (audiorepro.synth_<study>) writes it, with a ground-truth table;
kaggle: downloaded and unpacked safely; local: linked from the user's folder.
"""

import importlib

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.sources import fetch_raw


def main(snakemake):
    p, out = snakemake.params, snakemake.output

    def generate(dest):
        generator = importlib.import_module(f"audiorepro.{p.generator}")
        truth = generator.generate(dest, **p.synthetic)
        with atomic_path(out.truth) as tmp:
            truth.to_csv(tmp, index=False)
        rule.log.info("synthetic: %d files", len(truth))

    if p.source["kind"] != "synthetic":
        # Real data carry no ground truth beyond their own labels: the table says so.
        with atomic_path(out.truth) as tmp:
            tmp.write_text("file,label\n")
    fetch_raw(p.source, out.raw, p.members, kaggle_kind=p.kaggle_kind, generate=generate,
              staging=p.staging)


rule.run(snakemake, main)
