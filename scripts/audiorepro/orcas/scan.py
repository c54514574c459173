"""Running a trained network over a whole recording and keeping every unit's output.

scrynet's scan fed the windows exactly as in training (a window of 16 samples advancing one
sample per step, the LSTM state carried) in calls of 16 steps, and kept the output of the last
step of each call: one value per unit per 16 samples. ``hop`` and ``keep_every`` say that: the
windows start every ``hop`` samples, and outputs of steps keep_every - 1, 2 keep_every - 1, ...
are kept; the original is hop=1, keep_every=16 (hop=16, keep_every=1 would feed non-overlapping
windows instead, a sequence the network never saw in training).

The step-by-step scan is a Python loop over those 16-step calls, as the original. The fast scan
cuts the recording into many chunks that run side by side as one batch; each chunk starts
``warmup_steps`` before the stretch it reports, so that its state, started from zero, has
forgotten that start by then (the first chunk starts at the recording's start and is exact).
Where the windows fall is one :class:`Geometry` (``window``, ``hop``, ``keep_every``, ``rate``).

:func:`run` is the rule ``orcas_scan``: the held-out recordings scanned, the scan's speed
against the step-by-step loop, the unit measures (:func:`audiorepro.orcas.evaluate.metrics`).
"""

import json
import logging
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ..atomic import atomic_path, write_json
from ..training import loss_summary
from . import data, evaluate
from .data import Geometry, to_float
from .model import has_lstm, n_units, unit_reader

log = logging.getLogger("audiorepro")


def _chunk_windows(audio, first, n_chunks, stretch, n_steps, geometry):
    """(n_chunks, n_steps, window) float32: chunk i's windows for steps i * stretch + first on.

    ``audio`` must be long enough (zero-padded by the caller); one strided view, one copy.
    """
    window, hop = geometry.window, geometry.hop
    item = audio.strides[0]
    view = np.lib.stride_tricks.as_strided(
        audio[first * hop:], shape=(n_chunks, n_steps, window),
        strides=(stretch * hop * item, hop * item, item), writeable=False)
    return np.ascontiguousarray(view)


def _compiled(model):
    """Compile a reader for inference: XLA where the backend has it (much faster on CPU too)."""
    import keras

    model.compile(jit_compile=keras.backend.backend() != "torch")
    return model


def make_scanner(model, geometry=Geometry(), *, warmup_steps=1024, chunks=32, piece_steps=4096,
                 min_stretch=4, threads=2):
    """A function ``scan(samples) -> (n_outputs, units) float32`` for ``model`` read with
    ``geometry`` (see module doc; its ``rate`` is not used here).

    ``chunks``: at most this many stretches run side by side, each at least ``min_stretch``
    warm-ups long so that warm-up costs at most 1 / min_stretch extra; ``warmup_steps`` (rounded
    up to a multiple of keep_every): how far before its stretch each chunk starts (check it
    against :func:`scan_units_stepwise` for a new model: a unit with a long memory needs more);
    ``piece_steps``: steps per call, the state carried between calls (bounds memory on
    hour-long tapes); ``threads``: the chunks run in this many groups at once (XLA runs one
    group's recurrence on one core). The baseline has no state: its units are read at the kept
    steps only.
    """
    from concurrent.futures import ThreadPoolExecutor

    window, hop = geometry.window, geometry.hop
    keep = int(geometry.keep_every)
    units = n_units(model)
    warm = -(-int(warmup_steps) // keep) * keep
    piece = max(keep, int(piece_steps) // keep * keep)
    lstm = has_lstm(model)
    reader = _compiled(unit_reader(model, keep if lstm else 1))
    traced = set()

    def scan_baseline(audio, n_out):
        steps = (np.arange(n_out) + 1) * keep - 1
        out = np.zeros((n_out, units), np.float32)
        block = 65536
        for lo in range(0, n_out, block):
            idx = steps[lo:lo + block, None] * hop + np.arange(window)
            x = np.zeros((block, 1, window), np.float32)  # one shape: one compilation
            x[: len(idx), 0] = audio[idx]
            out[lo:lo + block] = reader.predict_on_batch(x)[: len(idx), 0]
        return out

    def scan(samples):
        audio = to_float(samples)
        n_out = geometry.n_outputs(len(audio))
        if n_out == 0:
            return np.zeros((0, units), np.float32)
        if not lstm:
            return scan_baseline(audio, n_out)
        total = n_out * keep  # steps whose outputs are kept
        n_chunks = int(np.clip((total - warm) // max(min_stretch * warm, keep), 1, chunks))
        stretch = -(-max(total - warm, 1) // (n_chunks * keep)) * keep
        n_chunks = max(1, -(-(total - warm) // stretch))
        # TensorFlow runs one compiled function from several threads at once; JAX and torch
        # reuse (donate) the model's buffers between calls, so there the groups run in turn
        parallel = int(threads) if keras.backend.backend() == "tensorflow" else 1
        groups = max(1, min(parallel, n_chunks))
        size = -(-n_chunks // groups)  # chunks per group; the last group may run spare chunks
        length = warm + stretch  # chunk i runs steps i * stretch + [0, length)
        calls = -(-length // piece)
        needed = ((groups * size - 1) * stretch + calls * piece - 1) * hop + window
        audio = np.concatenate([audio, np.zeros(max(0, needed - len(audio)), np.float32)])
        out = np.zeros((n_out, units), np.float32)
        if size not in traced:  # trace once before threads share the function
            zeros = np.zeros((size, units), np.float32)
            reader.predict_on_batch([np.zeros((size, piece, window), np.float32), zeros, zeros])
            traced.add(size)

        def run(group):
            chunk = group * size + np.arange(size)[:, None]
            h = np.zeros((size, units), np.float32)
            c = np.zeros((size, units), np.float32)
            keep_from = np.where(chunk == 0, 0, warm // keep)
            for call in range(calls):
                x = _chunk_windows(audio, group * size * stretch + call * piece, size, stretch,
                                   piece, geometry)
                y, h, c = reader.predict_on_batch([x, h, c])
                # chunk 0 keeps everything it computes, the others what follows their warm-up
                local = (call * piece) // keep + np.arange(piece // keep)[None, :]
                index = chunk * (stretch // keep) + local
                ok = (local >= keep_from) & (local < length // keep) & (index < n_out)
                out[index[ok]] = y[ok]

        if groups == 1:
            run(0)
        else:
            with ThreadPoolExecutor(groups) as pool:
                list(pool.map(run, range(groups)))
        return out

    return scan


def scan_units(model, samples, geometry=Geometry(), **kwargs):
    """Every unit's output over a recording: (n_outputs, units) float32, one row per
    ``keep_every`` steps (per 16 samples with the defaults). See :func:`make_scanner`."""
    return make_scanner(model, geometry, **kwargs)(samples)


def scan_units_stepwise(model, samples, geometry=Geometry()):
    """The original's scan: a Python loop of one call per ``keep_every`` steps, batch 1, the
    state carried; returns what :func:`scan_units` returns."""
    window, hop = geometry.window, geometry.hop
    keep = int(geometry.keep_every)
    audio = to_float(samples)
    n_out = geometry.n_outputs(len(audio))
    units = n_units(model)
    out = np.zeros((n_out, units), np.float32)
    lstm = has_lstm(model)
    reader = unit_reader(model, keep if lstm else 1)
    h = np.zeros((1, units), np.float32)
    c = np.zeros((1, units), np.float32)
    for j in range(n_out):
        steps = j * keep + np.arange(keep)
        x = audio[steps[:, None] * hop + np.arange(window)][None]
        if lstm:
            y, h, c = reader.predict_on_batch([x, h, c])
            out[j] = y[0, 0]
        else:
            out[j] = reader.predict_on_batch(x)[0, -1]
    return out


# ---------------------------------------------------------------- the rule orcas_scan
def heldout_recordings(split_table, audio_dir, rate):
    """The held-out recordings of the split table: ({path: int16 samples}, {path: name
    relative to ``audio_dir``}), in the table's order (the scans are keyed by that name)."""
    split = pd.read_csv(split_table)
    held = split[split.split == "heldout"]
    recordings = data.load_recordings([Path(audio_dir) / w for w in held.wav], rate)
    return recordings, dict(zip(recordings, held.wav))


def timed_scans(scanner, recordings, names):
    """({name: scan} of every recording, the wall seconds they took)."""
    started = time.perf_counter()
    scans = {names[path]: scanner(samples) for path, samples in recordings.items()}
    return scans, time.perf_counter() - started


def stepwise_realtime(net, samples, geometry, seconds=2):
    """Audio seconds per wall second of the original's loop (:func:`scan_units_stepwise`) on
    the first ``seconds`` of ``samples`` (it runs at about 1x real time)."""
    excerpt = samples[: seconds * geometry.rate]
    started = time.perf_counter()
    scan_units_stepwise(net, excerpt, geometry)
    return (len(excerpt) / geometry.rate) / (time.perf_counter() - started)


def write_scans(path, scans):
    """Every recording's scan into one ``.npz`` (keyed by recording name), atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **scans)


def _log_units(network, metrics, threshold):
    if metrics["best_unit"] is None:
        log.info("%s: whistle units not measured (%s); units ranked by activation variance",
                 network, metrics["not_measured"]["best_unit"])
    else:
        log.info("%s: best unit %s r = %.3f; %.0f%% of units above %.2f", network,
                 metrics["best_unit"], metrics["best_r"], 100 * metrics["share_above_threshold"],
                 threshold)


def run(job):
    """The rule ``orcas_scan`` (``job``: its Snakemake job object): the trained network run over
    every held-out recording, every unit's track kept (``scans``); the units measured against
    the annotations, the training's loss and the scan's speed (``metrics``, units.json)."""
    p, out, network = job.params, job.output, job.wildcards.network
    s, e = p.scan, p.evaluation
    geometry = Geometry(p.model["window"], s["hop"], s["keep_every"], p.rate)
    net = keras.saving.load_model(job.input.model, compile=False)
    recordings, names = heldout_recordings(job.input.split, job.input.audio, p.rate)
    scanner = make_scanner(net, geometry, warmup_steps=s["warmup_steps"], chunks=s["chunks"])
    scans, seconds = timed_scans(scanner, recordings, names)
    audio_seconds = sum(len(x) for x in recordings.values()) / p.rate
    stepwise = stepwise_realtime(net, next(iter(recordings.values())), geometry)
    table = evaluate.check_annotations(pd.read_csv(job.input.annotations), job.input.annotations)
    metrics = evaluate.metrics(scans, table, geometry, threshold=e["threshold"],
                               top=e["top_units"], quantile=e["detection_quantile"])
    trained = json.loads(Path(job.input.training).read_text())
    history = pd.read_csv(job.input.history)
    write_scans(out.scans, scans)
    write_json(out.metrics, {
        "study": "orcas", "network": network, **metrics,
        "annotations": p.annotations, "diverged": bool(trained.get("diverged", False)),
        "loss": loss_summary(history),
        "scan_audio_seconds": audio_seconds, "scan_seconds": seconds,
        "scan_realtime": audio_seconds / seconds, "stepwise_realtime": stepwise,
    })
    _log_units(network, metrics, e["threshold"])
    log.info("scan %.0fx real time (step by step %.1fx)", audio_seconds / seconds, stepwise)
