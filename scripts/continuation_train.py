"""Rule continuation_train: the stacked LSTM that predicts the next frame, under one protocol."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import keras  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.continuation import batches, data, evaluate, model  # noqa: E402
from audiorepro.recordings import read_all  # noqa: E402
from audiorepro.training import ResumableFit, training_record, write_json  # noqa: E402


def main(snakemake):
    p, out, protocol = snakemake.params, snakemake.output, snakemake.wildcards.protocol
    m, t = p.model, p.training
    keras.utils.set_random_seed(t["seed"])
    samples = read_all(snakemake.input.audio, pd.read_csv(snakemake.input.table), p.rate)
    prepared = data.prepare(samples, protocol=protocol, frame=m["frame"], seq_len=m["seq_len"],
                            fractions=p.split["fractions"], where=snakemake.input.audio, rate=p.rate)
    net = model.continuation_model(m["frame"], m["units"], m["layers"], cell=m["cell"],
                                   learning_rate=t["learning_rate"])
    streams = {split: batches.sequence_batches(*prepared.inputs_and_targets(split), t["batch_size"])
               for split in ("train", "valid")}
    fitter = ResumableFit(out.model, out.history, rule.backup_dir(out.model),
                          rule.training_settings(snakemake), monitor="val_loss", mode="min")
    history = fitter.fit(net, streams["train"], t["epochs"], validation=streams["valid"])
    curve = evaluate.learning_curve_summary(history)
    write_json(out.metrics, {
        "study": "continuation", "protocol": protocol, "scaling": prepared.stats,
        "sequences": prepared.counts(), "learning_curve": curve,
        "seconds_per_epoch": fitter.seconds / max(1, len(history)),
        "paper_size_parameters": model.parameter_breakdown(16000, 600, 3, m["cell"])["total"],
        **training_record(fitter, net),
    })
    rule.log.info("valid MSE %.5f at epoch 0, best %.5f (epoch %d)", curve["epoch0_valid"],
                  curve["best_valid"], curve["best_epoch"])


rule.run(snakemake, main)  # noqa: F821
