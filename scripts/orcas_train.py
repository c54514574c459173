"""Rule orcas_train: the next-sample mu-law network (the LSTM, or the baseline without it),
trained by truncated backpropagation through time on parallel segments of the training tapes."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.orcas import batches, data, model  # noqa: E402
from audiorepro.training import (  # noqa: E402
    ResumableFit, loss_summary, training_record, write_json)


def main(snakemake):
    p, out, network = snakemake.params, snakemake.output, snakemake.wildcards.network
    m, t = p.model, p.training
    keras.utils.set_random_seed(t["seed"])
    split = pd.read_csv(snakemake.input.split)
    train = split[split.split == "train"]
    recordings = data.load_recordings([Path(snakemake.input.audio) / w for w in train.wav], p.rate)
    stream = batches.segment_stream(recordings, batch_size=t["batch_size"],
                                 segment_seconds=t["segment_seconds"], seed=t["seed"],
                                 bptt_steps=t["bptt_steps"], window=m["window"], rate=p.rate,
                                 mu=m["classes"] - 1)
    common = dict(window=m["window"], hidden=m["hidden"], classes=m["classes"],
                  batch_size=t["batch_size"], learning_rate=t["learning_rate"], seed=t["seed"],
                  jit_compile=False)  # XLA makes this CPU training slower, not faster
    net = (model.lstm_model(units=m["units"], **common) if network == "lstm"
           else model.baseline_model(**common))
    fitter = ResumableFit(out.model, out.history, rule.backup_dir(out.model),
                          rule.training_settings(snakemake), monitor="loss", mode="min")
    history = fitter.fit(net, stream, t["epochs"], callbacks=[model.ResetStates(stream)])
    write_json(out.metrics, {
        "study": "orcas", "network": network, "loss": loss_summary(history),
        "training_recordings": len(train), "updates_per_epoch": len(stream),
        "segment_samples": stream.batches.span, **training_record(fitter, net),
    })
    rule.log.info("%s: loss %.4f after %d epochs", network, history[-1]["loss"], len(history))


rule.run(snakemake, main)  # noqa: F821
