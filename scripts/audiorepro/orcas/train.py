"""The orcas training rule: the next-sample mu-law network (the LSTM, or the baseline without
it) trained by truncated backpropagation through time on parallel segments of the training
tapes, one Keras epoch being one set of segments (:mod:`audiorepro.orcas.data`).

Writes the rule's outputs: the model with the lowest loss and the history (through
:func:`audiorepro.training.resumable_fit`), and the metrics file (the network, its loss, the
stream's sizes and :func:`audiorepro.training.training_record`).
"""

import logging
from pathlib import Path

import keras
import pandas as pd

from ..training import loss_summary, resumable_fit, training_record, write_json
from . import batches, data, model

log = logging.getLogger("audiorepro")


def training_recordings(split_table, audio_dir, rate):
    """The split table's training rows and their recordings ({path: int16 samples})."""
    split = pd.read_csv(split_table)
    train = split[split.split == "train"]
    return train, data.load_recordings([Path(audio_dir) / w for w in train.wav], rate)


def segment_stream(recordings, model_cfg, training, rate):
    """The training batch stream (:func:`batches.segment_stream`) from the rule's ``model`` and
    ``training`` settings: mu-law targets of ``classes - 1``."""
    return batches.segment_stream(recordings, batch_size=training["batch_size"],
                                  segment_seconds=training["segment_seconds"],
                                  seed=training["seed"], bptt_steps=training["bptt_steps"],
                                  window=model_cfg["window"], rate=rate,
                                  mu=model_cfg["classes"] - 1)


def run(job):
    """The rule ``orcas_train`` (``job``: its Snakemake job object; ``job.wildcards.network``
    picks the network, :func:`model.build`)."""
    p, out, network = job.params, job.output, job.wildcards.network
    t = p.training
    keras.utils.set_random_seed(t["seed"])
    train, recordings = training_recordings(job.input.split, job.input.audio, p.rate)
    stream = segment_stream(recordings, p.model, t, p.rate)
    net = model.build({**p.model, "network": network}, t)
    fitter = resumable_fit(job, monitor="loss", mode="min")
    history = fitter.fit(net, stream, t["epochs"], callbacks=[model.ResetStates(stream)])
    write_json(out.metrics, {
        "study": "orcas", "network": network, "loss": loss_summary(history),
        "training_recordings": len(train), "updates_per_epoch": len(stream),
        "segment_samples": stream.batches.span, **training_record(fitter, net),
    })
    log.info("%s: loss %.4f after %d epochs", network, history[-1]["loss"], len(history))
