"""Trivial baselines of the next-frame loss, drift of generated audio, and summaries of the
learning curves (numpy/pandas only).

Baselines. A network that predicts the next frame is worth something only if it beats what needs
no learning: predicting zero (the scaled signal's mean: MSE = mean of target^2) and repeating
the last input frame as the next (MSE = mean of (target - input)^2). :func:`baseline_mse`
computes both on exactly the (inputs, targets) the network is validated and tested on, in its
units (the scaled signal).

Drift. The post: "I am not able to generate audio past 50 seconds ... when the input has drifted
far enough, the LSTM ... generates nonsense/white noise." Nobody measured it. Here every second
of audio gets three numbers:

* ``rms``: its level (samples scaled to [-1, 1));
* ``flatness``: spectral flatness, as :func:`audiorepro.synth.spectral_flatness` (near 1 for
  white noise, near 0 for tones);
* ``spectral_distance``: log-spectral distance in dB between that second's mean power spectrum
  and the data's typical one (the per-bin median, over the data's seconds, of their mean power
  spectra in dB): sqrt(mean over bins of (dB_second - dB_data)^2).

The data's range of a measure is its ``percentiles`` (1st-99th) over the seconds of the
training and validation parts. A generated second is outside when it falls out of that range on
ANY of the listed ``measure`` s (:data:`DRIFT_MEASURES` by default: the spectral distance
catches noise, the RMS a collapse to a faint or silent output that keeps the data's spectral
shape). The drift point is the first generated second from which ``consecutive`` seconds in a
row are outside; ``stays_outside_from`` is the first second from which every remaining second is
outside; ``collapsed_to_silence`` says whether ``consecutive`` seconds in a row fell below the
data's low RMS percentile. Seconds count from the start of the generated audio (the seed
excluded); None when it never happens.

Silence. The data's seconds more than :data:`SILENCE_DB` below its loud seconds (the 95th
percentile of their RMS) are silence: a digital-silence intro, the tail of a fade-out, the gap
between two songs. The data's ranges, reference spectrum and level band are taken over its
ACTIVE seconds (the others), so a silent intro does not stretch the range down to zero.

Collapse. A network that has stopped making music repeats one frame (its fixed point) or a few,
or goes faint. Every generated second gets two more numbers: ``repetition_db``, how well one
period repeats it, 10 log10(sum (x[t] - x[t-P])^2 / sum x[t]^2) at the best period P from
:data:`MIN_PERIOD_SECONDS` to two frames (at least 50 ms; the seed before the generation
supplies the first second's past), with that ``period`` in samples; and its RMS against the
data's ``level_band``: the 5th-95th percentiles (:data:`LEVEL_PERCENTILES`) of the active
seconds' RMS. A second is ``repeated`` when repetition_db < :data:`REPEAT_DB` (-30 dB: one
period explains 99.9 % of its energy; a frame looped exactly leaves only int16 rounding, below
-90 dB, while music, whose notes change and whose voices beat against each other, leaves more
than -20 dB over a second: only a tone held unchanged for the whole second comes near), and
``faint`` when its RMS is more than :data:`FAINT_MARGIN_DB` below the band's low edge (a tenth of
the power of the data's quietest active seconds but for 5 %: silence, or a buzz far under the
music). The generation has collapsed when ``consecutive`` seconds in a row are repeated or faint
(:func:`collapse`).
"""

import numpy as np
import pandas as pd

from ..audio import to_float
from ..errors import InputError

MEASURES = ("rms", "flatness", "spectral_distance")
SILENCE_DB = -40.0  # a data second this far below the 95th percentile of the seconds' RMS
LEVEL_PERCENTILES = (5.0, 95.0)  # the data's level band, over its active seconds
FAINT_MARGIN_DB = 10.0  # faint: this far below the band's low edge
REPEAT_DB = -30.0  # repeated: one period leaves a residual this far below the second's energy
MIN_PERIOD_SECONDS = 0.0025  # shorter lags measure smoothness (low-pass audio), not repetition
DRIFT_MEASURES = ("spectral_distance", "rms")  # the default of continuation.drift.measure
BASELINES = ("zero", "repeat_last")


def baseline_mse(inputs, targets, chunk=64):
    """MSE of the trivial predictors on (inputs, targets) of :func:`..data.inputs_and_targets`
    (each (n, steps, frame), in the network's units): ``zero`` predicts 0, ``repeat_last``
    predicts that the next frame repeats the last input frame. Accumulated in float64, ``chunk``
    sequences at a time; each None when there are no sequences. Every sequence has the same
    size, so this is the mean Keras reports over batches of any size."""
    targets, inputs = np.asarray(targets), np.asarray(inputs)
    if targets.shape != inputs.shape:
        raise ValueError(f"inputs {inputs.shape} and targets {targets.shape} differ in shape")
    if targets.size == 0:
        return dict.fromkeys(BASELINES)
    zero = repeat = 0.0
    for lo in range(0, len(targets), chunk):
        t = targets[lo: lo + chunk].astype(np.float64)
        zero += float(np.sum(t * t))
        repeat += float(np.sum((t - inputs[lo: lo + chunk]) ** 2))
    return {"zero": zero / targets.size, "repeat_last": repeat / targets.size}


def baselines(pairs):
    """{baseline: {split: MSE}} from {split: (inputs, targets)}."""
    per_split = {split: baseline_mse(*pair) for split, pair in pairs.items()}
    return {b: {split: mse[b] for split, mse in per_split.items()} for b in BASELINES}


def against_baselines(best_valid, table):
    """How the network's best valid MSE compares with the baselines (:func:`baselines`):
    best_baseline (the lower valid MSE of the two), best_baseline_valid, beats_baselines (the
    network's is strictly lower), and a warning naming the numbers when it does not (else None).
    """
    name = min(BASELINES, key=lambda b: table[b]["valid"])
    value = table[name]["valid"]
    beats = bool(best_valid < value)
    warning = None if beats else (
        f"the network does not beat the trivial predictors: its best valid MSE {best_valid:.6g} "
        f"is not below the better of predicting zero ({table['zero']['valid']:.6g}) and "
        f"repeating the last frame ({table['repeat_last']['valid']:.6g}) on the same sequences; "
        f"it has learned nothing the claims can use")
    return {"best_baseline": name, "best_baseline_valid": value, "beats_baselines": beats}, warning


def sequence_mse(predictions, targets):
    """Each sequence's MSE, (n,) in float64: ``predictions`` and ``targets`` (n, steps, frame),
    or a scalar prediction (0: the zero predictor)."""
    t = np.asarray(targets, np.float64)
    d = np.broadcast_to(np.asarray(predictions, np.float64), t.shape) - t
    return np.mean(d.reshape(len(t), -1) ** 2, axis=1)


def valid_sampling_intervals(predictions, inputs, targets, best_baseline):
    """The training metrics' ``sampling_interval`` of claim N8's two measures: 95 % bootstrap
    intervals (:func:`audiorepro.stats.bootstrap`) over the validation sequences of the
    network's MSE (its ``predictions``) and of the better trivial predictor's; a key is left out
    with fewer than two sequences."""
    from ..stats import bootstrap

    baseline = 0.0 if best_baseline == "zero" else inputs
    found = {"learning_curve.best_valid": bootstrap(sequence_mse(predictions, targets)),
             "best_baseline_valid": bootstrap(sequence_mse(baseline, targets))}
    return {k: v for k, v in found.items() if v is not None}


def as_float(samples):
    """int16 samples to floats in [-1, 1) (:func:`audiorepro.audio.to_float`), float64."""
    return to_float(samples, np.float64)


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
    table["active"] = active_seconds(table["rms"])
    use = table["active"].to_numpy() if table["active"].any() else np.ones(len(table), bool)
    reference = reference_spectrum(db[use])
    table["spectral_distance"] = spectral_distance(db, reference)
    ranges = {m: [float(v) for v in np.percentile(table[m][use], percentiles)] for m in MEASURES}
    return reference, ranges, table


def active_seconds(rms, silence_db=SILENCE_DB):
    """Boolean: which seconds (their RMS) are not silence, i.e. lie less than ``silence_db``
    below the 95th percentile of all of them (none when every one is digital silence)."""
    rms = np.asarray(rms, float)
    if not len(rms):
        return np.zeros(0, bool)
    return rms > np.percentile(rms, 95) * 10 ** (silence_db / 20)


def level_band(data, percentiles=LEVEL_PERCENTILES):
    """The data's level band: [low, high] percentiles of the RMS of its active seconds (a
    :func:`data_profile` table), with what it rests on; None bounds when no second is active."""
    rms = data["rms"].to_numpy(float)
    active = data["active"].to_numpy(bool) if "active" in data else active_seconds(rms)
    band = ([float(v) for v in np.percentile(rms[active], percentiles)] if active.any()
            else [None, None])
    return {"band": band, "percentiles": [float(p) for p in percentiles],
            "active_seconds": int(active.sum()), "data_seconds": int(len(rms)),
            "silence_db": SILENCE_DB}


def repetition(audio, rate, start, frame, min_period=MIN_PERIOD_SECONDS):
    """How well one short period repeats each whole second of ``audio`` from sample ``start``
    (the generation after its seed): a table second, repetition_db, period (see the module
    docstring; NaN for a silent second). Periods run from ``min_period`` seconds to two
    ``frame`` s (at least 50 ms), and no further back than ``start``."""
    from scipy.signal import correlate

    x = as_float(audio)
    start = int(start)
    lo = max(1, int(round(min_period * rate)))
    hi = min(max(2 * int(frame), int(round(0.05 * rate))), start)
    seconds = max(0, (len(x) - start) // rate)
    db, period = np.full(seconds, np.nan), np.full(seconds, np.nan)
    lags = hi - np.arange(hi + 1)  # correlate(past, second, "valid")[k] is at lag hi - k
    for s in range(seconds if hi >= lo else 0):
        s0 = start + s * rate
        now, past = x[s0: s0 + rate], x[s0 - hi: s0 + rate]
        energy = float(now @ now)
        if energy <= 0:
            continue
        squares = np.concatenate([[0.0], np.cumsum(past * past)])
        residual = (energy + squares[rate: rate + hi + 1] - squares[: hi + 1]
                    - 2 * correlate(past, now, mode="valid", method="fft"))
        residual = np.where(lags >= lo, np.maximum(residual, 0.0), np.inf)
        # the shortest period that does (nearly) as well as the best: a loop of 400 samples
        # repeats at 800 too
        near = np.flatnonzero(residual <= max(2 * residual.min(), 1e-10 * energy))
        best = int(near[-1])  # lags fall along the array
        db[s] = 10 * np.log10(max(residual[best] / energy, 1e-12))
        period[s] = lags[best]
    return pd.DataFrame({"second": np.arange(seconds), "repetition_db": db, "period": period})


def in_runs(flags, consecutive):
    """Boolean: which positions belong to a run of at least ``consecutive`` True values."""
    flags = np.asarray(flags, dtype=bool)
    k = int(consecutive)
    if len(flags) < k:
        return np.zeros(len(flags), bool)
    starts = np.convolve(flags.astype(int), np.ones(k, int), mode="valid") == k
    return np.convolve(starts.astype(int), np.ones(k, int))[: len(flags)] > 0


def collapse(generated, band, consecutive=3, repeat_db=REPEAT_DB, margin_db=FAINT_MARGIN_DB):
    """Whether the generation collapsed (module docstring): ``generated`` is its per-second
    table with the :func:`repetition` columns, ``band`` a :func:`level_band`. Returns the
    metrics' ``collapse`` dict: the thresholds, repeated_seconds and faint_seconds (each
    counted alone), collapsed_seconds (seconds inside runs of ``consecutive`` repeated or faint
    ones), collapse_second (the first such run's start, or None), causes, the most common
    period of the repeated seconds, the median repetition_db, collapsed (bool) and reason
    (words, or None)."""
    k = int(consecutive)
    low = band["band"][0]
    faint_below = None if low is None else low * 10 ** (-margin_db / 20)
    rms = generated["rms"].to_numpy(float)
    faint = rms < faint_below if faint_below is not None else np.zeros(len(rms), bool)
    rep_db = generated["repetition_db"].to_numpy(float)
    repeated = np.nan_to_num(rep_db, nan=np.inf) < repeat_db
    runs = in_runs(faint | repeated, k)
    second = first_run(faint | repeated, k)
    periods = generated["period"].to_numpy(float)[repeated & runs]
    period = int(pd.Series(periods).mode().iloc[0]) if len(periods) else None
    causes = [name for name, flags in (("repetition", repeated), ("level", faint))
              if (flags & runs).any()]
    result = {"consecutive": k, "seconds": int(len(rms)), "repeat_db": repeat_db,
              "faint_margin_db": margin_db, "faint_below": faint_below, "level": band,
              "repeated_seconds": int(repeated.sum()), "faint_seconds": int(faint.sum()),
              "collapsed_seconds": int(runs.sum()), "collapse_second": second,
              "causes": causes, "period": period,
              "median_repetition_db": (float(np.nanmedian(rep_db)) if np.isfinite(rep_db).any()
                                       else None),
              "collapsed": second is not None}
    result["reason"] = collapse_reason(result) if second is not None else None
    return result


def collapse_reason(result):
    """The words for a collapse (:func:`collapse`'s dict)."""
    parts = []
    if "repetition" in result["causes"]:
        parts.append(f"{result['repeated_seconds']} repeat one period of {result['period']} "
                     f"samples to within {result['repeat_db']:g} dB of their energy (median "
                     f"{result['median_repetition_db']:.0f} dB)")
    if "level" in result["causes"]:
        low, p = result["level"]["band"][0], result["level"]["percentiles"][0]
        parts.append(f"{result['faint_seconds']} lie more than {result['faint_margin_db']:g} dB "
                     f"below the {p:g}th percentile of the data's active seconds' RMS "
                     f"({low:.3g})")
    return (f"the generated audio collapsed from second {result['collapse_second']}: "
            f"{result['collapsed_seconds']} of its {result['seconds']} s lie in runs of "
            f"{result['consecutive']} or more repeated or faint seconds; {'; '.join(parts)}")


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


def drift_measures(measure):
    """The measures that decide the drift point: a name or a list of names, checked."""
    listed = [measure] if isinstance(measure, str) else list(measure)
    unknown = [m for m in listed if m not in MEASURES]
    if not listed or unknown:
        raise InputError("continuation.drift.measure", f"must be one or more of "
                                                       f"{', '.join(MEASURES)}, got {measure!r}")
    return listed


def drift(generated, ranges, measure=DRIFT_MEASURES, consecutive=3):
    """The drift point of generated audio's per-second table (see the module docstring).

    ``measure``: a name or a list of names (a second is outside when any is outside). Returns a
    dict for the metrics file: measure (the list), consecutive, seconds (how many were
    measured), drift_second, causes (the listed measures outside within the drift's run),
    first_drift (per measure, listed or not: the first second starting ``consecutive`` outside
    on that measure alone), stays_outside_from, collapsed_to_silence and silence_second (the
    first of ``consecutive`` seconds below the data's low RMS percentile), and per measure the
    fraction of seconds outside and the first second outside.
    """
    measures = drift_measures(measure)
    k = int(consecutive)
    flags = outside(generated, ranges)
    any_out = flags[[f"{m}_outside" for m in measures]].any(axis=1).to_numpy()
    second = first_run(any_out, k)
    silence = first_run(generated["rms"].to_numpy() < ranges["rms"][0], k)
    result = {"measure": measures, "consecutive": k, "seconds": int(len(generated)),
              "drift_second": second,
              "causes": [] if second is None else
              [m for m in measures if flags[f"{m}_outside"].to_numpy()[second: second + k].any()],
              "first_drift": {m: first_run(flags[f"{m}_outside"], k) for m in MEASURES},
              "stays_outside_from": stays_true_from(any_out),
              "collapsed_to_silence": silence is not None, "silence_second": silence,
              "ranges": ranges}
    for m in MEASURES:
        col = flags[f"{m}_outside"].to_numpy()
        result[f"{m}_outside_fraction"] = float(col.mean()) if len(col) else None
        result[f"{m}_first_outside"] = first_run(col, 1)
    return result


def relative_level_db(generated, data):
    """The generated audio's level against the data's, in dB: 20 log10 of the ratio of their
    median per-second RMS (per-second tables); None when either has no seconds or is silent."""
    gen, ref = np.median(generated["rms"]) if len(generated) else 0, \
        np.median(data["rms"]) if len(data) else 0
    return float(20 * np.log10(gen / ref)) if gen > 0 and ref > 0 else None


def drift_not_measured(result, percentiles):
    """The generation file's ``not_measured`` entries for a drift result (:func:`drift`): why
    drift_second is null, or nothing when it is a number."""
    if result["drift_second"] is not None:
        return {}
    n, k = result["seconds"], result["consecutive"]
    if n < k:
        why = (f"only {n} s generated, fewer than the {k} seconds in a row outside the data's "
               f"range that make a drift point")
    else:
        low, high = percentiles
        why = (f"no drift within the {n} s generated: no {k} seconds in a row left the data's "
               f"{low:g}th-{high:g}th percentile range of {' or '.join(result['measure'])}")
    return {"drift.drift_second": why}


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
    finite = np.isfinite(va)
    best = int(np.flatnonzero(finite)[np.argmin(va[finite])]) if finite.any() else 0
    below = (va - tr) / va > gap
    overfit = first_run(below, consecutive)
    return {"epochs": int(len(history)),
            "epoch0_train": float(tr[0]), "epoch0_valid": float(va[0]),
            "best_valid": float(va[best]), "best_epoch": int(epochs[best]),
            "final_train": float(tr[-1]), "final_valid": float(va[-1]),
            "valid_fall": float(1 - va[best] / va[0]),
            "train_fall": float(1 - np.nanmin(tr) / tr[0]),
            "overfit_epoch": None if overfit is None else int(epochs[overfit]),
            "overfit_gap": gap, "overfit_consecutive": int(consecutive)}


def curve_not_measured(summary):
    """The metrics file's ``not_measured`` entries for a learning-curve summary: why
    overfit_epoch is null, or nothing when it is a number."""
    if summary["overfit_epoch"] is not None:
        return {}
    return {"learning_curve.overfit_epoch": (
        f"train MSE never stayed more than {summary['overfit_gap']:.0%} below valid MSE for "
        f"{summary['overfit_consecutive']} epochs in a row within the {summary['epochs']} "
        f"epochs run")}


# The original's model (claim N4 compares its seconds per epoch on a K40)
PAPER_MODEL = {"frame": 16000, "units": 600, "layers": 3}


def learned_nothing(metrics):
    """Why the claims that rest on a trained network mean nothing (a training metrics dict):
    its best valid MSE is not below the better trivial predictor's; None when it is."""
    if metrics.get("beats_baselines", True):
        return None
    return (f"the network learned nothing: its best valid MSE "
            f"{metrics['learning_curve']['best_valid']:.4g} is not below that of "
            f"{metrics['best_baseline'].replace('_', ' ')} ({metrics['best_baseline_valid']:.4g})"
            f" on the same sequences")


def training_not_comparable(metrics, model_settings):
    """The training metrics file's ``not_comparable`` entries (dotted key: why): N3's valid
    fall and N4's seconds per epoch when the network learned nothing, and N4's whenever the
    model (``model_settings``: frame, units, layers) is not the original's size."""
    out = {}
    nothing = learned_nothing(metrics)
    if nothing:
        out = {"learning_curve.valid_fall": nothing, "seconds_per_epoch": nothing}
    m, device = model_settings, metrics.get("device") or {}
    if any(m[k] != v for k, v in PAPER_MODEL.items()):
        out["seconds_per_epoch"] = (
            f"a {metrics['parameters']['total']:,}-parameter model (frame {m['frame']}, "
            f"{m['layers']} x LSTM({m['units']})) timed on {device.get('backend', '?')}/"
            f"{device.get('accelerator', '?')}, not the original's "
            f"{metrics['paper_size_parameters']:,} (frame 16000, 3 x LSTM(600)) on a K40: "
            f"their seconds per epoch say nothing of each other")
    return out


TEST_KEYS = ("test_mse", "baselines.zero.test", "baselines.repeat_last.test")


def metrics(variant, protocol, recordings, prepared, history, *, rate, model_settings,
            training_seconds, test_mse, predictions, paper_size_parameters, record):
    """The metrics of one trained network (its metrics.json before the training record is
    merged in): the ``variant`` and its ``protocol``, the scaling, the ``recordings``
    (:class:`..data.Recordings`, ``rate`` their sample rate) and the pieces and sequences of
    ``prepared`` (:class:`..data.Prepared`), the learning curve of ``history`` (one dict per
    epoch), ``test_mse`` (None without a test sequence), the trivial predictors on the same
    sequences and how the network compares with them, the seconds per epoch
    (``training_seconds`` over the epochs of ``history``), ``paper_size_parameters``, what is
    not measured and why, what is not comparable with the original and why (``record``, the
    training record of :func:`audiorepro.training.training_record`, says the model's size and
    device; ``model_settings`` is the ``continuation.model`` settings) and N8's intervals over
    the validation sequences of the network's ``predictions``."""
    curve = learning_curve_summary(history)
    table = baselines({s: prepared.inputs_and_targets(s) for s in ("valid", "test")})
    versus, _ = against_baselines(curve["best_valid"], table)
    not_measured = curve_not_measured(curve)
    if test_mse is None:
        not_measured.update(dict.fromkeys(TEST_KEYS, "the test part holds no whole sequence"))
    found = {
        "study": "continuation", "variant": variant, "protocol": protocol,
        "scaling": prepared.stats,
        "recordings": recordings.table(rate), "pieces": prepared.piece_records(),
        "sequences": prepared.counts(), "learning_curve": curve, "test_mse": test_mse,
        "baselines": table, **versus, "seconds_per_epoch": training_seconds / max(1, len(history)),
        "paper_size_parameters": paper_size_parameters, "not_measured": not_measured,
    }
    # claims whose comparison with the original means nothing here (N3, N4): why
    found["not_comparable"] = training_not_comparable({**found, **record}, model_settings)
    # the intervals over the validation sequences that decide N8 with one seed
    found["sampling_interval"] = valid_sampling_intervals(
        predictions, *prepared.inputs_and_targets("valid"), versus["best_baseline"])
    return found


def baseline_warning(metrics):
    """The warning of :func:`against_baselines` for a training metrics dict (None when the
    network beats the trivial predictors)."""
    return against_baselines(metrics["learning_curve"]["best_valid"], metrics["baselines"])[1]


# the generation file's keys that claims read off the generated audio (N5, N7)
GENERATION_KEYS = ("drift.drift_second", "drift.mean.spectral_distance")


def generated_table(audio, rate, seed_samples, frame, reference_db, n_fft=512):
    """The per-second table of the generated part of ``audio`` (the seed's ``seed_samples``
    first, as the generate rule writes it): :func:`per_second` against ``reference_db`` with
    the :func:`repetition` columns (repetition_db, period) beside, one row per whole second."""
    table = per_second(audio[seed_samples:], rate, reference_db, n_fft=n_fft)
    repeats = repetition(audio, rate, seed_samples, frame)
    table[["repetition_db", "period"]] = repeats[["repetition_db", "period"]].to_numpy()
    return table


def generation_metrics(variant, protocol, generated, ranges, profile, trained, settings, *,
                       seed_frames, steps, frame, rate, generators, non_finite):
    """The generation file of one trained network: ``generated`` is the generated audio's
    :func:`generated_table`; ``ranges`` and ``profile`` the data's (:func:`data_profile`);
    ``trained`` the network's training metrics; ``settings`` the ``continuation.drift`` ones
    (measure, consecutive, percentiles). The drift point with the generated level and the mean
    of each measure, the collapse, what is not measured or not comparable and why, with the
    sizes (``seed_frames`` and ``steps`` frames of ``frame`` samples at ``rate``), the
    comparison of the two generators (:func:`..generate.compare_generators`) and how many
    generated values were not finite."""
    found = drift(generated, ranges, settings["measure"], settings["consecutive"])
    found["level_db"] = relative_level_db(generated, profile[profile.active])
    # how the generated audio sounds, in one number per measure: its mean over the seconds
    found["mean"] = {name: (float(generated[name].mean()) if len(generated) else None)
                     for name in MEASURES}
    collapsed = collapse(generated, level_band(profile), settings["consecutive"])
    not_comparable = generation_not_comparable(trained, collapsed)
    not_measured = drift_not_measured(found, settings["percentiles"])
    not_measured.update({k: v for k, v in not_comparable.items() if k in not_measured})
    return {
        "study": "continuation", "variant": variant, "protocol": protocol,
        "seed_frames": int(seed_frames), "generated_frames": int(steps),
        "generated_seconds": steps * frame / rate, "seed_samples": int(seed_frames * frame),
        "drift": found, "collapse": collapsed, "generation_collapsed": collapsed["collapsed"],
        "collapse_reason": collapsed["reason"], "generators": generators,
        "non_finite_values": non_finite, "diverged": bool(trained.get("diverged", False)),
        "not_measured": not_measured, "not_comparable": not_comparable,
    }


def generation_not_comparable(metrics, collapsed):
    """The generation file's ``not_comparable`` entries (dotted key: why) for the claims that
    rest on the generated audio: the network learned nothing (a training metrics dict), or the
    generation collapsed (a :func:`collapse` dict); nothing when neither."""
    why = learned_nothing(metrics) or collapsed["reason"]
    return dict.fromkeys(GENERATION_KEYS, why) if why else {}
