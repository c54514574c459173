"""Rules <study>_replicates: a variant's seed replicates summed up (replicates.json: every
number's per-seed values, mean, spread and 95 % interval over seeds) and their spread drawn."""

from audiorepro import plots, rule
from audiorepro.replicates import collect


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    document = collect(snakemake.input.metrics, p.seeds, out.json, files=p.files)
    plots.save(plots.replicate_spread(document, p.shown, p.title), out.figure)
    for key in p.shown:
        if key in document["metrics"]:
            s = document["metrics"][key]
            if s["n"] < 2:
                rule.log.info("%s: %s from %d seed: no interval over seeds", key, s["mean"],
                              s["n"])
            else:
                rule.log.info("%s: mean %s, 95 %% interval over %d seeds [%s, %s]", key,
                              s["mean"], s["n"], s["low"], s["high"])


rule.run(snakemake, main)  # noqa: F821
