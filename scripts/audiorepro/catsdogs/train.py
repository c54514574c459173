"""The catsdogs training rule: one variant (a protocol, or an ablation of the model under one)
trained with one seed on random 1-s windows, then scored on the test files' 1-s segments.

Writes the rule's outputs: the best model and the history (through
:func:`audiorepro.training.resumable_fit`), the scored test segments and the metrics file
(:func:`evaluate.metrics`, the variant, seed, model settings, the pooling layer's reading and
:func:`audiorepro.training.training_record`).
"""

import logging

import keras
import pandas as pd

from ..atomic import atomic_path
from ..clips import ClipPack
from ..training import resumable_fit, training_record, write_json
from . import batches, data, evaluate, model

log = logging.getLogger("audiorepro")


def window_streams(vectors, training):
    """The training and validation batch streams of random windows (``training`` is the rule's
    ``catsdogs.training`` settings): training seeded with ``seed``, validation with ``seed + 1``."""
    def windows(which, steps, seed):
        return batches.window_dataset(vectors[which], training["batch_size"], training["window"],
                                      training["threshold"], steps, seed)

    return (windows("train", training["steps_per_epoch"], training["seed"]),
            windows("validation", training["validation_steps"], training["seed"] + 1))


def fit(job, vectors):
    """Build the model (:func:`model.build`), fit it resumably on the windows of ``vectors``
    keeping the best validation accuracy; returns (the fitter, its history, the best model as
    written to ``job.output.model``)."""
    training = job.params.training
    net = model.build(job.params.model, training)
    fitter = resumable_fit(job, monitor="val_accuracy", mode="max")
    train, validation = window_streams(vectors, training)
    history = fitter.fit(net, train, training["epochs"], validation=validation)
    return fitter, history, keras.saving.load_model(job.output.model)


def probabilities(net):
    """``segments (n, window) -> P(dog) (n,)`` of a trained model."""
    return lambda segments: net.predict(segments[..., None], verbose=0)[:, 0]


def pooling(net, table, segments):
    """The pooling layer's reading (:func:`evaluate.pooling_components`) over the scored test
    segments ``table`` and their audio ``segments``."""
    pooled = model.layer_probe(net).predict(segments[..., None], verbose=0)[-1]
    return evaluate.pooling_components(pooled, table.label,
                                       net.get_layer("sigmoid").get_weights()[0])


def run(job):
    """The rule ``catsdogs_train`` (``job``: its Snakemake job object)."""
    training, out, protocol = job.params.training, job.output, job.params.protocol
    keras.utils.set_random_seed(training["seed"])
    pack = ClipPack(job.input.clips, job.input.samples)
    split = pd.read_csv(job.input.split)
    vectors, test, stats = data.prepared_audio(protocol, pack, split)
    fitter, history, best = fit(job, vectors)
    table, too_short, segments = evaluate.test_segments(test, training["window"],
                                                        probabilities(best))
    with atomic_path(out.segments) as tmp:
        table.to_csv(tmp, index=False)
    metrics = evaluate.metrics(protocol, history, table, too_short, split, stats)
    metrics.update(variant=job.wildcards.variant, seed=training["seed"], model=job.params.model)
    if len(table):
        metrics["pooling"] = pooling(best, table, segments)
    write_json(out.metrics, {**metrics, **training_record(fitter, best)})
    log.info("best validation %.3f, test segments %s, clips %d/%d",
             metrics["best_validation_accuracy"], metrics["test_segment_accuracy"],
             metrics["test_clips_correct"], metrics["test_clips"])
