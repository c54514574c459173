"""The continuation training rule: the stacked LSTM that predicts the next frame, trained under
one variant (a protocol, or the min-centred scaling of claim N7) with one seed, set beside the
trivial predictors (zero, the last frame repeated) on the same sequences.

Writes the rule's outputs: the best model and the history (through
:func:`audiorepro.training.resumable_fit`) and the metrics file (:func:`evaluate.metrics` and
:func:`audiorepro.training.training_record`). The order of the random draws: Keras' global seed
(``training.seed``), then the network's initial weights; the batches walk the sequences in order.
"""

import logging

import keras

from ..training import resumable_fit, training_record, write_json
from . import batches, data, evaluate, model

log = logging.getLogger("audiorepro")


def sequence_streams(prepared, batch_size):
    """{split: the batch stream of its (inputs, targets) sequences, in order} (the original did
    not shuffle)."""
    return {split: batches.sequence_batches(*prepared.inputs_and_targets(split), batch_size)
            for split in data.SPLITS}


def fit(job, prepared):
    """Build the network (:func:`model.build`) and fit it resumably on the training sequences,
    keeping the best valid MSE (written to the job's model and history files); returns (the
    fitter, its history, the fitted network, the streams of :func:`sequence_streams`)."""
    training = job.params.training
    net = model.build(job.params.model, training)
    streams = sequence_streams(prepared, training["batch_size"])
    fitter = resumable_fit(job, monitor="val_loss", mode="min")
    history = fitter.fit(net, streams["train"], training["epochs"], validation=streams["valid"])
    return fitter, history, net, streams


def score(best, streams, prepared, batch_size):
    """The best model's test MSE (None when the test part holds no whole sequence) and its
    predictions on the validation inputs (for N8's intervals)."""
    test_mse = (float(best.evaluate(streams["test"], verbose=0))
                if prepared.counts()["test"] else None)
    valid_inputs, _ = prepared.inputs_and_targets("valid")
    return test_mse, best.predict(valid_inputs, batch_size=batch_size, verbose=0)


def log_summary(metrics):
    """The log's line on the learning curve and the trivial predictors, and a warning when the
    network does not beat them."""
    curve, table, test_mse = metrics["learning_curve"], metrics["baselines"], metrics["test_mse"]
    log.info("valid MSE %.6g at epoch 0, best %.6g (epoch %d), test %s; trivial predictors "
             "on the same valid sequences: zero %.6g, repeat last frame %.6g",
             curve["epoch0_valid"], curve["best_valid"], curve["best_epoch"],
             "-" if test_mse is None else f"{test_mse:.6g}", table["zero"]["valid"],
             table["repeat_last"]["valid"])
    warning = evaluate.baseline_warning(metrics)
    if warning:
        log.warning("WARNING: %s", warning)


def run(job):
    """The rule ``continuation_train`` (``job``: its Snakemake job object)."""
    p, out, training = job.params, job.output, job.params.training
    keras.utils.set_random_seed(training["seed"])
    recordings, prepared = data.read_variant(job.input.audio, job.input.table, p.rate,
                                             job.wildcards.variant, p.model, p.split["fractions"])
    log.info("%s", recordings.describe(p.rate))
    fitter, history, net, streams = fit(job, prepared)
    best = model.load_model(out.model)
    test_mse, predictions = score(best, streams, prepared, training["batch_size"])
    record = training_record(fitter, net)
    metrics = evaluate.metrics(
        job.wildcards.variant, prepared.stats["protocol"], recordings, prepared, history,
        rate=p.rate, model_settings=p.model, training_seconds=fitter.seconds, test_mse=test_mse,
        predictions=predictions, paper_size_parameters=model.paper_size_parameters(
            p.model["cell"]), record=record)
    write_json(out.metrics, {**metrics, **record})
    log_summary(metrics)
    return metrics
