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
"""

import keras
import numpy as np

from .data import n_outputs, to_float
from .model import has_lstm, n_units, unit_reader


def _chunk_windows(audio, first, n_chunks, stretch, n_steps, window, hop):
    """(n_chunks, n_steps, window) float32: chunk i's windows for steps i * stretch + first on.

    ``audio`` must be long enough (zero-padded by the caller); one strided view, one copy.
    """
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


def make_scanner(model, *, window=16, hop=1, keep_every=16, warmup_steps=1024, chunks=32,
                 piece_steps=4096, min_stretch=4, threads=2):
    """A function ``scan(samples) -> (n_outputs, units) float32`` for ``model`` (see module doc).

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

    keep = int(keep_every)
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
        n_out = n_outputs(len(audio), window, hop, keep)
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
                                   piece, window, hop)
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


def scan_units(model, samples, **kwargs):
    """Every unit's output over a recording: (n_outputs, units) float32, one row per
    ``keep_every`` steps (per 16 samples with the defaults). See :func:`make_scanner`."""
    return make_scanner(model, **kwargs)(samples)


def scan_units_stepwise(model, samples, *, window=16, hop=1, keep_every=16):
    """The original's scan: a Python loop of one call per ``keep_every`` steps, batch 1, the
    state carried; returns what :func:`scan_units` returns."""
    keep = int(keep_every)
    audio = to_float(samples)
    n_out = n_outputs(len(audio), window, hop, keep)
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
