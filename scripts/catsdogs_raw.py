"""Rule catsdogs_raw: the Kaggle layout (cats_dogs/*.wav + train_test_split.csv) from the source."""

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.catsdogs import FOLDER, SPLIT_CSV
from audiorepro.sources import fetch_raw


def main(snakemake):
    synthetic = dict(snakemake.params.synthetic)

    def generate(dest):
        from audiorepro import synth_catsdogs

        truth = synth_catsdogs.generate(dest, rate=snakemake.params.rate, **synthetic)
        with atomic_path(snakemake.output.truth) as tmp:
            truth.to_csv(tmp, index=False)
        rule.log.info("synthetic: %d files", len(truth))

    if snakemake.params.source["kind"] != "synthetic":
        # Real data carry no ground truth beyond their labels: the table says so.
        with atomic_path(snakemake.output.truth) as tmp:
            tmp.write_text("file,label\n")
    fetch_raw(snakemake.params.source, snakemake.output.raw, [FOLDER, SPLIT_CSV],
              kaggle_kind="dataset", generate=generate, staging=snakemake.params.staging)


rule.run(snakemake, main)
