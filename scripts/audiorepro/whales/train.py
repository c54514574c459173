"""The whales training rule: one sweep member (the ``net`` and ``rate`` wildcards) trained with
one seed as DIGITS trained it, then the best model scored on the validation clips.

Writes the rule's outputs: the best model and the history (through
:func:`audiorepro.training.resumable_fit`, keeping the best validation accuracy), the
validation clips' probabilities and the metrics file (:func:`evaluate.metrics`, the input
shape and :func:`audiorepro.training.training_record`).
"""

import logging
import math

import keras
import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..training import resumable_fit, training_record, write_json
from . import data, evaluate, model, solver

log = logging.getLogger("audiorepro")


def split_images(split, packed, size):
    """(every image squashed to ``size`` as uint8, the training rows, the validation rows, the
    training mean image) from the split table and the packed (n, 129, 30) images; a row's
    ``row`` column indexes the images."""
    # whole grey levels: uint8 loses nothing and takes a quarter of the memory
    squashed = data.squash(packed, tuple(size), dtype=np.uint8)
    train, val = split[split.split == "train"], split[split.split == "validation"]
    return squashed, train, val, data.mean_image(squashed[train.row.to_numpy()])


def build_settings(job, input_shape, n_train):
    """The job's (model_cfg, training_cfg) for :func:`model.build`: the network from the wildcard,
    ``width``, ``init`` and ``input_shape``; the training settings with the wildcard's rate as
    ``learning_rate`` and the batches of ``n_train`` clips as ``steps_per_epoch``."""
    net, training = job.wildcards.net, job.params.training
    model_cfg = {"net": net, "width": job.params.width, "init": job.params.init,
                 "input_shape": tuple(input_shape)}
    steps = math.ceil(n_train / training["batch_size"][net])
    return model_cfg, {**training, "learning_rate": float(job.wildcards.rate),
                       "steps_per_epoch": steps}


def batch_stream(images, mean, batch_size, outputs):
    """``rows, seed -> batches`` of those split rows' images (:func:`solver.image_batches`)."""
    def batches(rows, seed):
        return solver.image_batches(images[rows.row.to_numpy()], rows.label, mean, batch_size,
                                    seed, outputs)

    return batches


def positive_probability(net, stream):
    """P(upcall) per clip of ``stream`` from the network's main output (GoogLeNet's first)."""
    probability = model.main_output(net).predict(stream, verbose=0)
    probability = probability[0] if isinstance(probability, (list, tuple)) else probability
    return probability[:, 1]


def run(job):
    """The rule ``whales_train`` (``job``: its Snakemake job object)."""
    w, training, out = job.wildcards, job.params.training, job.output
    keras.utils.set_random_seed(training["seed"])
    images, train, val, mean = split_images(pd.read_csv(job.input.split),
                                            np.load(job.input.images), job.params.image["size"])
    net = model.build(*build_settings(job, images.shape[1:], len(train)))
    outputs, monitor = solver.classifier_outputs(net)
    batches = batch_stream(images, mean, training["batch_size"][w.net], outputs)
    fitter = resumable_fit(job, monitor=monitor, mode="max")
    history = fitter.fit(net, batches(train, training["seed"]), training["epochs"],
                         validation=batches(val, None))
    best = model.load_model(out.model)
    predictions = val[["clip_name", "label"]].assign(
        probability=positive_probability(best, batches(val, None)))
    with atomic_path(out.predictions) as tmp:
        predictions.to_csv(tmp, index=False)
    metrics = evaluate.metrics(w.protocol, w.net, w.rate, history, monitor, predictions,
                               {"train": int(len(train)), "validation": int(len(val))})
    metrics["input_shape"] = list(images.shape[1:])
    write_json(out.metrics, {**metrics, **training_record(fitter, net)})
    log.info("%s lr %s: final val accuracy %.4f, AUC %.4f", w.net, w.rate,
             metrics["final_validation_accuracy"], metrics["validation"]["roc_auc"])
