"""Drift of generated audio, measured, and summaries of the learning curves (numpy/pandas only).

The post: "I am not able to generate audio past 50 seconds ... when the input has drifted far
enough, the LSTM ... generates nonsense/white noise." Nobody measured it. Here every second of
audio gets three numbers:

* ``rms``: its level (samples scaled to [-1, 1));
* ``flatness``: spectral flatness, as :func:`audiorepro.synth.spectral_flatness` (near 1 for
  white noise, near 0 for tones);
* ``spectral_distance``: log-spectral distance in dB between that second's mean power spectrum
  and the data's typical one (the per-bin median, over the data's seconds, of their mean power
  spectra in dB): sqrt(mean over bins of (dB_second - dB_data)^2).

The data's range of a measure is its ``percentiles`` (1st-99th) over the seconds of the
training and validation parts. A generated second is outside on a measure when it falls out of
that range. The drift point is the first generated second from which ``consecutive`` seconds in
a row are outside on ``measure`` (the spectral distance by default); ``stays_outside_from`` is
the first second from which every remaining second is outside. Seconds count from the start of
the generated audio (the seed excluded); None when it never happens.
"""

import numpy as np
import pandas as pd

MEASURES = ("rms", "flatness", "spectral_distance")


def as_float(samples):
    """int16 samples to floats in [-1, 1); float input is returned as float64 unchanged."""
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(np.float64) / 32768.0
    return samples.astype(np.float64)


def _seconds(samples, rate):
    """(seconds, rate) array of the whole seconds of a 1-D signal (a partial last one dropped)."""
    x = as_float(samples)
    n = len(x) // rate
    return x[: n * rate].reshape(n, rate)


def _frame_power(block, n_fft, eps):
    """Power spectra (seconds, frames, bins) of Hann frames, half overlapping, as
    :func:`audiorepro.synth.spectral_flatness` frames each second."""
    hop = n_fft // 2
    starts = np.arange(0, block.shape[1] - n_fft + 1, hop)
    frames = block[:, starts[:, None] + np.arange(n_fft)] * np.hanning(n_fft)
    return np.abs(np.fft.rfft(frames, axis=-1)) ** 2 + eps


def per_second(samples, rate, reference_db=None, n_fft=512, return_db=False, eps=1e-12,
               chunk=256):
    """One row per whole second of ``samples``: second, rms, flatness, spectral_distance (NaN
    without ``reference_db``). With ``return_db``, returns (table, db): db is each second's mean
    power spectrum in dB, (seconds, bins). Vectorised over seconds, ``chunk`` at a time."""
    secs = _seconds(samples, rate)
    rms, flat, dbs = [], [], []
    for lo in range(0, len(secs), chunk):
        block = secs[lo: lo + chunk]
        power = _frame_power(block, n_fft, eps)
        rms.append(np.sqrt(np.mean(block * block, axis=1)))
        # spectral_flatness' rule: frames of digital silence are skipped; all silent -> 1.0
        live = power.sum(axis=-1) > eps * power.shape[-1] * 10
        frame_flat = np.exp(np.mean(np.log(power), axis=-1)) / np.mean(power, axis=-1)
        count = live.sum(axis=1)
        flat.append(np.where(count > 0, np.sum(np.where(live, frame_flat, 0), axis=1)
                             / np.maximum(count, 1), 1.0))
        dbs.append(10 * np.log10(power.mean(axis=1)))
    n_bins = n_fft // 2 + 1
    db = np.concatenate(dbs) if dbs else np.zeros((0, n_bins))
    table = pd.DataFrame({
        "second": np.arange(len(secs)),
        "rms": np.concatenate(rms) if rms else np.zeros(0),
        "flatness": np.concatenate(flat) if flat else np.zeros(0),
        "spectral_distance": (spectral_distance(db, reference_db) if reference_db is not None
                              else np.full(len(secs), np.nan)),
    })
    return (table, db) if return_db else table


def reference_spectrum(data_db):
    """The data's typical spectrum: per-bin median of its seconds' mean power spectra (dB)."""
    return np.median(np.asarray(data_db), axis=0)


def spectral_distance(db, reference_db):
    """Log-spectral distance (dB) of each row of ``db`` from ``reference_db``."""
    return np.sqrt(np.mean((np.asarray(db) - np.asarray(reference_db)) ** 2, axis=-1))


def data_profile(samples, rate, parts=((0, None),), n_fft=512, percentiles=(1.0, 99.0)):
    """The data's reference spectrum and the range of each measure.

    ``parts`` lists (start, end) sample ranges to take whole seconds from (the training and
    validation parts: ``split_table`` rows). Returns (reference_db, ranges, table): ranges is
    {measure: [low, high]} at ``percentiles``; table the data's per-second measures.
    """
    measured = [per_second(np.asarray(samples)[start:end], rate, n_fft=n_fft, return_db=True)
                for start, end in parts]
    db = np.concatenate([d for _, d in measured])
    table = pd.concat([t for t, _ in measured], ignore_index=True)
    table["second"] = np.arange(len(table))
    reference = reference_spectrum(db)
    table["spectral_distance"] = spectral_distance(db, reference)
    ranges = {m: [float(v) for v in np.percentile(table[m], percentiles)] for m in MEASURES}
    return reference, ranges, table


def outside(table, ranges):
    """Boolean columns ``<measure>_outside``: the second lies out of the data's range."""
    flags = pd.DataFrame({"second": table["second"]})
    for m in MEASURES:
        low, high = ranges[m]
        flags[f"{m}_outside"] = (table[m] < low) | (table[m] > high)
    return flags


def first_run(flags, consecutive):
    """Index of the first position that starts ``consecutive`` True values in a row, or None."""
    flags = np.asarray(flags, dtype=bool)
    k = int(consecutive)
    if k < 1:
        raise ValueError(f"consecutive must be >= 1, got {consecutive}")
    if len(flags) < k:
        return None
    runs = np.convolve(flags.astype(int), np.ones(k, int), mode="valid") == k
    hits = np.flatnonzero(runs)
    return int(hits[0]) if len(hits) else None


def stays_true_from(flags):
    """First index from which every remaining value is True, or None (also for no values)."""
    flags = np.asarray(flags, dtype=bool)
    if len(flags) == 0 or not flags[-1]:
        return None
    false = np.flatnonzero(~flags)
    return int(false[-1] + 1) if len(false) else 0


def drift(generated, ranges, measure="spectral_distance", consecutive=3):
    """The drift point of generated audio's per-second table (see the module docstring).

    Returns a dict for the metrics file: measure, consecutive, seconds (how many were measured),
    drift_second, stays_outside_from, and per measure the fraction of seconds outside and the
    first second outside.
    """
    flags = outside(generated, ranges)
    column = flags[f"{measure}_outside"]
    result = {"measure": measure, "consecutive": int(consecutive), "seconds": int(len(generated)),
              "drift_second": first_run(column, consecutive),
              "stays_outside_from": stays_true_from(column), "ranges": ranges}
    for m in MEASURES:
        col = flags[f"{m}_outside"].to_numpy()
        result[f"{m}_outside_fraction"] = float(col.mean()) if len(col) else None
        result[f"{m}_first_outside"] = first_run(col, 1)
    return result


def learning_curve_summary(history, gap=0.05, consecutive=5, train="loss", valid="val_loss"):
    """Numbers from a Keras history table (one row per epoch, counted from 0 as the original).

    epoch0_train/valid, best_valid and best_epoch, final_train/valid, valid_fall and train_fall
    (relative fall from epoch 0 to the best / last value), and overfit_epoch: the first epoch
    from which, for ``consecutive`` epochs, train MSE is below valid MSE by more than ``gap``
    (relative to valid), the post's "training curve dives down"; None if it never does.
    """
    history = pd.DataFrame(history).reset_index(drop=True)
    tr, va = history[train].to_numpy(float), history[valid].to_numpy(float)
    epochs = history["epoch"].to_numpy() if "epoch" in history else np.arange(len(history))
    best = int(np.argmin(va))
    below = (va - tr) / va > gap
    overfit = first_run(below, consecutive)
    return {"epochs": int(len(history)),
            "epoch0_train": float(tr[0]), "epoch0_valid": float(va[0]),
            "best_valid": float(va[best]), "best_epoch": int(epochs[best]),
            "final_train": float(tr[-1]), "final_valid": float(va[-1]),
            "valid_fall": float(1 - va[best] / va[0]), "train_fall": float(1 - tr.min() / tr[0]),
            "overfit_epoch": None if overfit is None else int(epochs[overfit]),
            "overfit_gap": gap, "overfit_consecutive": int(consecutive)}
