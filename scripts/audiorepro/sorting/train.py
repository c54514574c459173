"""The training rule of one grid point (data set x protocol x sample length x chunks x pad mode x
encoding size): the sorter trained on jigsaw samples, scored on the held-out samples.

The order of the random draws is fixed: Keras' global seed (``training.seed``) first, then the
samples and the song split (``sampling.seed``), then the model's initial weights (from the
global seed), then the batch streams (``training.seed``).
"""

import keras

from ..training import log, resumable_fit, training_record, write_json
from . import batches, data, evaluate, model


def draw_sets(songs, point, sampling, rate):
    """The grid point's chunk length in samples and its sample sets
    (:func:`audiorepro.sorting.data.sample_sets`), drawn with ``sampling``'s seed."""
    chunk_len = data.samples_of(point["sample_length"], rate)
    pad_range = tuple(data.samples_of(v, rate) for v in sampling["pad_seconds"])
    sets = data.sample_sets(songs, protocol=point["protocol"], n_samples=sampling["n_samples"],
                            valid_fraction=sampling["valid_fraction"], n_chunks=point["n_chunks"],
                            chunk_len=chunk_len, pad_mode=point["pad_mode"], pad_range=pad_range,
                            seed=sampling["seed"])
    return chunk_len, sets


def model_settings(model_cfg, point, chunk_len):
    """What :func:`audiorepro.sorting.model.build` reads: the config's ``sorting.model`` and
    the grid point's input shape (its chunks, its encoding size, its chunk length in samples)."""
    return {**model_cfg, "n_chunks": point["n_chunks"], "encoding": point["encoding"],
            "chunk_len": chunk_len}


def fit(job, net, songs, sets, training):
    """Fit ``net`` on the training samples, resumably, keeping the best validation accuracy
    (written to the job's model and history files); returns the fitter."""
    train = batches.jigsaw_batches(songs, sets.train, training["batch_size"], training["seed"])
    valid = batches.jigsaw_batches(songs, sets.valid, training["batch_size"], training["seed"],
                                   shuffle=False)
    fitter = resumable_fit(job, monitor="val_accuracy", mode="max")
    fitter.fit(net, train, training["epochs"], validation=valid)
    return fitter


def predict_valid(net, songs, valid, batch_size):
    """The model's probabilities (samples, n, n) on the validation samples, and their labels."""
    x, labels = data.cut(songs, valid)
    return net.predict(x, batch_size=batch_size, verbose=0), labels


def run_details(songs, sets, *, run, seed, sampling_seed, chunk_len):
    """The keys a metrics file holds after the grid point and its scores: the run's name, its
    seeds, the chunk length, the training samples, the fraction of validation samples sharing
    audio with a training sample, and the songs per split."""
    leak = data.overlapping(sets.train, sets.valid, songs)
    return {"run": run, "seed": seed, "sampling_seed": sampling_seed, "chunk_samples": chunk_len,
            "train_samples": len(sets.train),
            "valid_samples_sharing_training_audio": float(leak.mean()),
            "songs": {split: int(n) for split, n in sets.songs.split.value_counts().items()}}


def run(job):
    """The whole training rule: load the point's data set, draw its samples, build and fit the
    sorter, score the best model and write its metrics.json."""
    p, out, point = job.params, job.output, dict(job.params.point)
    s, t = p.sampling, p.training
    keras.utils.set_random_seed(t["seed"])
    songs = data.load_dataset(point["dataset"], job.input.music, job.input.controls, p.rate,
                              p.control_segments)
    chunk_len, sets = draw_sets(songs, point, s, p.rate)
    net = model.build(model_settings(p.model, point, chunk_len), t)
    fitter = fit(job, net, songs, sets, t)

    best = keras.saving.load_model(out.model)
    probabilities, labels = predict_valid(best, songs, sets.valid, t["batch_size"])
    details = run_details(songs, sets, run=job.wildcards.point, seed=t["seed"],
                          sampling_seed=s["seed"], chunk_len=chunk_len)
    metrics = {**evaluate.metrics(point, probabilities, labels, **details),
               **training_record(fitter, best)}
    write_json(out.metrics, metrics)
    log.info("%s: accuracy %.3f [%.3f, %.3f], chance %.3f", job.wildcards.point,
             metrics["accuracy"], metrics["ci_low"], metrics["ci_high"], metrics["chance"])
    return metrics
