"""The training rule of one grid point (data set x protocol x sample length x chunks x pad mode x
encoding size): the sorter trained on jigsaw samples, scored on the held-out samples.

The order of the random draws is fixed: Keras' global seed (``training.seed``) first, then the
samples and the song split (``sampling.seed``), then the model's initial weights (from the
global seed), then the batch streams (``training.seed``).
"""

from types import SimpleNamespace

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


def run(job, datasets=None):
    """The whole training rule: load the point's data set, draw its samples, build and fit the
    sorter, score the best model and write its metrics.json. ``datasets`` ({dataset: Songs}),
    where given, holds the data sets already loaded, and gets this point's."""
    p, out, point = job.params, job.output, dict(job.params.point)
    s, t = p.sampling, p.training
    keras.utils.set_random_seed(t["seed"])
    datasets = {} if datasets is None else datasets
    if point["dataset"] not in datasets:
        datasets[point["dataset"]] = data.load_dataset(
            point["dataset"], job.input.music, job.input.controls, p.rate, p.control_segments)
    songs = datasets[point["dataset"]]
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


class _Params(dict):
    """A job's params: a dict that also reads as attributes (as Snakemake's do)."""

    __getattr__ = dict.__getitem__


def point_jobs(job):
    """The grid points of a job that trains several (:func:`run_points`), each as the job
    object :func:`run` takes, in order.

    ``job.params.points`` lists the point names in the order of the outputs
    ``job.output.model``, ``.history`` and ``.metrics`` (lists), ``job.params.grid`` is
    {point name: point} (``grid_points``). The seed is the job's ``seed`` wildcard, or
    ``job.params.seeds`` (one per entry, a name may then come more than once); ``training`` and
    ``sampling`` are the settings of that seed (``seeded``), or lists of one per entry. Every
    other param is the single-point rule's, shared."""
    names = list(job.params.points)
    n = len(names)

    def each(value):
        return list(value) if isinstance(value, (list, tuple)) else [value] * n

    seeds = each(job.params.seeds if "seeds" in job.params.keys() else job.wildcards.seed)
    training, sampling = each(job.params.training), each(job.params.sampling)
    files = [list(job.output.model), list(job.output.history), list(job.output.metrics)]
    lengths = {n, len(seeds), len(training), len(sampling), *map(len, files)}
    if len(lengths) != 1:
        raise ValueError(f"the points, seeds, settings and outputs of a grouped sorting job "
                         f"differ in length: {sorted(lengths)}")
    shared = {k: v for k, v in job.params.items()
              if k not in ("points", "grid", "seeds", "training", "sampling")}
    return [SimpleNamespace(
        rule="sorting_train", input=job.input, log=job.log,
        output=SimpleNamespace(model=model, history=history, metrics=metrics),
        params=_Params({**shared, "point": job.params.grid[name], "training": t,
                        "sampling": smp}),
        wildcards=_Params(point=name, seed=str(seed)))
        for name, seed, t, smp, model, history, metrics in
        zip(names, seeds, training, sampling, *files)]


def run_points(job):
    """Train several grid points one after the other in this one process (a job of a rule that
    groups them; :func:`point_jobs` says what it holds): each point exactly as its own job
    would (:func:`run`: Keras' state cleared, its global seed set, a fresh model, its own
    backup, model, history and metrics), so the files are the same; start-up (importing
    TensorFlow, about 4 CPU seconds) and each data set's loading are paid once."""
    datasets, results = {}, []
    for point_job in point_jobs(job):
        keras.backend.clear_session()
        results.append(run(point_job, datasets))
    return results


def run_seeds(job):
    """The rule sorting_train: one grid point (the ``point`` wildcard, ``params.point``)
    trained with each of ``params.seeds`` in turn in this one process (:func:`run_points`),
    ``params.training`` and ``params.sampling`` holding each seed's settings and the outputs
    each seed's files (``model_seed<n>``, ``history_seed<n>``, ``metrics_seed<n>``)."""
    name, seeds = job.wildcards.point, list(job.params.seeds)
    params = _Params({**dict(job.params.items()), "points": [name] * len(seeds),
                      "grid": {name: job.params.point}})
    files = SimpleNamespace(**{kind: [job.output[f"{kind}_seed{seed}"] for seed in seeds]
                               for kind in ("model", "history", "metrics")})
    return run_points(SimpleNamespace(input=job.input, log=job.log, output=files,
                                      wildcards=job.wildcards, params=params))
