"""What the original claimed about the units, measured against the annotations (numpy/pandas).

A scan gives, per recording, an array (outputs, units): one row per ``keep_every`` steps (16
samples by default), output j stamped with the time its last window ends
(:meth:`audiorepro.orcas.data.Geometry.output_times`).
Whistle (and speech) presence per output comes from the annotation intervals (the synthetic
tapes' ground truth, or annotation tables: ``audiorepro.annotations``); each unit's Pearson
correlation with whistle presence ranks the units by its absolute value (a unit that drops
during whistles hears them as well as one that rises); the signed value is reported.

Only annotated recordings (those with at least one annotation row) are measured against the
annotations; without any, every whistle and speech measure is null, the file's
``not_measured`` says why, and the units are ranked by the variance of their output instead.
"""

from pathlib import PurePosixPath

import numpy as np

from ..errors import InputError
from ..stats import auc
from .data import Geometry

WHISTLE, SPEECH = "whistle", "speech"
ANNOTATION_COLUMNS = ("file", "kind", "start", "end")
NO_ANNOTATIONS = ("no annotations: set orcas.annotations.path to a Raven selection table or "
                  "Audacity label track")
BY_CORRELATION = "|r| with whistle presence"
BY_VARIANCE = "activation variance (no whistle annotations to correlate with)"


# ---------------------------------------------------------------- labels per scan output
def recording_key(name):
    """A recording's name without its suffix (``sub/tape.mp3`` and ``sub/tape.wav`` match)."""
    return str(PurePosixPath(str(name).replace("\\", "/")).with_suffix(""))


def check_annotations(table, where="annotations"):
    """The annotation table, InputError naming ``where`` if it lacks a column of
    ``file, kind, start, end`` (a ground-truth table of real data, ``file,label``, does)."""
    missing = [c for c in ANNOTATION_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(where, f"lacks the column(s) {', '.join(missing)} of an annotation table "
                                f"({', '.join(ANNOTATION_COLUMNS)})")
    return table


def annotated(table, file):
    """Whether ``file`` has a row in the annotation ``table`` (matched without its suffix)."""
    return bool(len(table)) and recording_key(file) in set(table["file"].map(recording_key))


def intervals(truth, file, kind):
    """(k, 2) float array of [start, end) seconds of ``kind`` in ``file`` (matched without the
    suffix, so the truth's ``tape.mp3`` rows serve the converted ``tape.wav``), sorted by start."""
    check_annotations(truth)
    if not len(truth):
        return np.zeros((0, 2))
    rows = truth[(truth["kind"] == kind)
                 & (truth["file"].map(recording_key) == recording_key(file))]
    order = np.argsort(rows["start"].to_numpy(float), kind="stable")
    return rows[["start", "end"]].to_numpy(float).reshape(-1, 2)[order]


def inside(times, spans):
    """Boolean: which ``times`` fall in the union of the [start, end) ``spans``."""
    times = np.asarray(times, float)
    if len(spans) == 0:
        return np.zeros(times.shape, bool)
    spans = np.asarray(spans, float)
    spans = spans[np.argsort(spans[:, 0])]
    ends = np.maximum.accumulate(spans[:, 1])  # running furthest end covers overlaps
    i = np.searchsorted(spans[:, 0], times, side="right") - 1
    return (i >= 0) & (times < ends[np.maximum(i, 0)])


def scan_labels(truth, file, n, geometry=Geometry(), kinds=(WHISTLE, SPEECH)):
    """{kind: bool array (n,)}: whether each of the ``n`` scan outputs of ``file`` (a scan with
    ``geometry``) lies in a stretch of that kind."""
    times = geometry.output_times(n)
    return {kind: inside(times, intervals(truth, file, kind)) for kind in kinds}


def event_index_ranges(spans, n, geometry=Geometry()):
    """(k, 2) int array: the scan outputs [first, last + 1) that fall inside each span."""
    times = geometry.output_times(n)
    spans = np.asarray(spans, float).reshape(-1, 2)
    return np.stack([np.searchsorted(times, spans[:, 0], side="left"),
                     np.searchsorted(times, spans[:, 1], side="left")], axis=1).astype(int)


# ---------------------------------------------------------------- correlation and ranking
def smooth(activations, width):
    """Centred moving average over ``width`` outputs of each unit (width 1: unchanged)."""
    a = np.asarray(activations, float)
    width = int(width)
    if width <= 1:
        return a
    n = len(a)
    lo = np.clip(np.arange(n) - width // 2, 0, n)
    hi = np.clip(np.arange(n) + (width - width // 2), 0, n)
    total = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)])
    return (total[hi] - total[lo]) / (hi - lo).reshape((-1,) + (1,) * (a.ndim - 1))


def unit_correlations(activations, target):
    """Pearson correlation of every unit (columns of ``activations``, shape (n, units)) with
    ``target`` (n,); NaN for a unit (or a target) that never changes."""
    a = np.asarray(activations, float)
    t = np.asarray(target, float)
    if len(a) < 2:
        return np.full(a.shape[1] if a.ndim == 2 else 0, np.nan)
    varies = (np.ptp(a, axis=0) > 0) & (np.ptp(t) > 0 if len(t) else False)
    a = a - a.mean(axis=0)
    t = t - t.mean()
    denominator = np.sqrt((a * a).sum(axis=0) * (t * t).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * t[:, None]).sum(axis=0) / denominator
    return np.where(varies & (denominator > 0), np.clip(r, -1.0, 1.0), np.nan)


def rank_units(correlations):
    """Unit indices by decreasing |correlation|, NaN last (ties keep index order)."""
    r = np.abs(np.asarray(correlations, float))
    return np.argsort(np.where(np.isnan(r), np.inf, -r), kind="stable")


def share_above(correlations, threshold):
    """Share of units whose |correlation| is at least ``threshold`` (NaN counts as below)."""
    r = np.abs(np.asarray(correlations, float))
    return float(np.mean(np.nan_to_num(r, nan=0.0) >= threshold)) if len(r) else 0.0


# ---------------------------------------------------------------- ranges: speech against whistles
def distribution(values):
    """Summary of a unit's values: n, mean, std, min, 5/25/50/75/95th percentiles, max."""
    values = np.asarray(values, float)
    if len(values) == 0:
        return {"n": 0}
    q = np.percentile(values, [5, 25, 50, 75, 95])
    return {"n": int(len(values)), "mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "p5": q[0], "p25": q[1], "p50": q[2], "p75": q[3],
            "p95": q[4], "max": float(values.max())}


def activation_ranges(activations, units, whistle, speech):
    """Per unit in ``units``: its distribution during whistles without speech, during speech
    without whistles, and the AUC of whistle against speech values (0.5: same range; near 0 or
    1: different ranges)."""
    whistle_only, speech_only = whistle & ~speech, speech & ~whistle
    out = {}
    for u in units:
        a = np.asarray(activations)[:, u]
        out[int(u)] = {"whistle": distribution(a[whistle_only]),
                       "speech": distribution(a[speech_only]),
                       "auc_whistle_vs_speech": auc(a[whistle_only], a[speech_only])}
    return out


# ---------------------------------------------------------------- a simple whistle detector
def detect_events(activation, events, background, quantile=0.95, sign=1.0):
    """Which events (rows of [first, last + 1) output ranges) a unit detects, and the threshold.

    The detector: the unit's mean (times ``sign``, so a unit that drops during whistles counts)
    over the event is above the ``quantile`` of its means over stretches of the median event
    length lying wholly in ``background`` (no whistle): a whistle-length stretch of background
    exceeds it with probability about 1 - quantile. Returns (detected bool (k,), threshold).
    """
    a = sign * np.asarray(activation, float)
    events = np.asarray(events, int).reshape(-1, 2)
    lengths = np.maximum(events[:, 1] - events[:, 0], 1)
    if len(events) == 0:
        return np.zeros(0, bool), float("nan")
    width = int(max(np.median(lengths), 1))
    total = np.concatenate([[0.0], np.cumsum(a)])
    busy = np.concatenate([[0], np.cumsum(~np.asarray(background, bool))])
    starts = np.arange(0, len(a) - width + 1)
    clean = starts[busy[starts + width] - busy[starts] == 0]
    if len(clean):
        reference = (total[clean + width] - total[clean]) / width
    else:
        reference = a[np.asarray(background, bool)] if np.any(background) else a
    threshold = float(np.quantile(reference, quantile))
    means = (total[events[:, 1].clip(max=len(a))] - total[events[:, 0]]) / lengths
    detected = (events[:, 1] > events[:, 0]) & (means > threshold)
    return detected, threshold


# ---------------------------------------------------------------- the metrics of one network
DETECTION_KEYS = ("n_whistles", "best_threshold", "second_threshold", "detected_by_best",
                  "detected_by_second", "detected_by_second_missed_by_best",
                  "detected_by_best_missed_by_second", "second_only_whistles")
# the measures that need whistle (or also speech) annotations, as dotted keys of the metrics
WHISTLE_MEASURES = ("whistle_share", "best_unit", "best_r", "best_abs_r", "second_unit",
                    "second_r", "share_above_threshold",
                    *(f"detection.{k}" for k in DETECTION_KEYS))
SPEECH_MEASURES = ("speech_share", "best_unit_whistle_speech_separation")


def _stack(scans, files, smoothing, units):
    parts = [smooth(np.asarray(scans[f], float).reshape(-1, units), smoothing) for f in files]
    return np.concatenate(parts) if parts else np.zeros((0, units))


def _labels(scans, truth, files, geometry):
    """Whistle and speech presence per output of ``files`` (concatenated in that order), the
    whistles as output ranges, and each whistle's (file, start, end)."""
    whistle, speech, events, event_rows, offset = [], [], [], [], 0
    for f in files:
        n = len(scans[f])
        labels = scan_labels(truth, f, n, geometry)
        spans = intervals(truth, f, WHISTLE)
        events.append(event_index_ranges(spans, n, geometry) + offset)
        event_rows += [(f, float(s), float(e)) for s, e in spans]
        whistle.append(labels[WHISTLE])
        speech.append(labels[SPEECH])
        offset += n
    join = (lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype))
    return (join(whistle, bool), join(speech, bool),
            np.concatenate(events) if events else np.zeros((0, 2), int), event_rows)


def _names(files, limit=6):
    files = sorted(files)
    return ", ".join(files[:limit]) + (f" and {len(files) - limit} more" if len(files) > limit
                                       else "")


def _whistle_reason(truth, files, measured, whistle, r):
    """Why no unit can be measured against whistles, or None when one can."""
    if not len(truth):
        return NO_ANNOTATIONS
    if not measured:
        return (f"none of the held-out recordings ({_names(files)}) is annotated; the "
                f"annotations cover {_names(set(truth['file']))}")
    if not len(whistle):
        return "the annotated held-out recordings are shorter than one scan output"
    if not whistle.any():
        return f"no whistle annotated in the held-out recordings ({_names(measured)})"
    if whistle.all():
        return "whistles cover every scanned output: whistle presence never changes"
    if np.all(np.isnan(r)):
        return "every unit's output is constant over the annotated held-out recordings"
    return None


def _speech_reason(whistle_reason, whistle, speech):
    if whistle_reason:
        return whistle_reason
    if not speech.any():
        return "no speech annotated in the held-out recordings"
    return "no stretch of whistles without speech, or of speech without whistles"


def _get(metrics, dotted):
    for part in dotted.split("."):
        metrics = metrics[part]
    return metrics


def _detection(acts, r, top_units, events, event_rows, whistle, quantile):
    """Which whistles the best and the second unit detect (see :func:`detect_events`)."""
    hits = []
    for u in top_units[:2]:
        found, thr = detect_events(acts[:, u], events, ~whistle, quantile,
                                   sign=-1.0 if np.nan_to_num(r[u]) < 0 else 1.0)
        hits.append((found, thr))
    (best_hits, best_thr), (second_hits, second_thr) = hits
    only_second = second_hits & ~best_hits
    return {
        "n_whistles": int(len(events)), "best_threshold": best_thr,
        "second_threshold": second_thr, "detected_by_best": int(best_hits.sum()),
        "detected_by_second": int(second_hits.sum()),
        "detected_by_second_missed_by_best": int(only_second.sum()),
        "detected_by_best_missed_by_second": int((best_hits & ~second_hits).sum()),
        "second_only_whistles": [{"file": f, "start": s, "end": e}
                                 for (f, s, e), hit in zip(event_rows, only_second) if hit],
    }


def _none_for_nan(x):
    if isinstance(x, dict):
        return {k: _none_for_nan(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_none_for_nan(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return None if np.isnan(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def metrics(scans, truth, geometry=Geometry(), *, threshold=0.3, top=2, quantile=0.95,
            smoothing=1):
    """The claims' measures for one network, from its scans ({recording: (outputs, units)}, made
    with ``geometry``) and the annotation table ``truth`` (``file, kind, start, end``; it may be
    empty): the bulk of the scan rule's units.json.

    Returns a JSON-ready dict: ``files`` (scanned) and ``annotated_files`` (those measured
    against the annotations), ``activation_std`` (per unit, over every scanned output),
    ``correlations`` (signed, per unit), ``ranking`` and ``ranking_by`` (units by |r|, or by
    activation variance when no unit can be correlated), ``best_unit``/``best_r``/``best_abs_r``,
    ``second_unit``/``second_r``, ``share_above_threshold``, ``ranges`` of the ``top`` units
    (whistle vs speech distributions and AUC), ``best_unit_whistle_speech_separation`` (that AUC
    folded to [0.5, 1]), ``detection`` (per whistle: detected by the best unit, by the second,
    and the whistles the second detects and the best misses), and ``not_measured`` ({dotted
    key: why it is null}). NaN becomes None.
    """
    check_annotations(truth)
    files = sorted(scans)
    units = int(np.asarray(scans[files[0]]).shape[-1]) if files else 0
    measured = [f for f in files if annotated(truth, f)]
    everything = _stack(scans, files, smoothing, units)
    acts = _stack(scans, measured, smoothing, units)
    whistle, speech, events, event_rows = _labels(scans, truth, measured, geometry)
    r = unit_correlations(acts, whistle)
    why = _whistle_reason(truth, files, measured, whistle, r)
    spread = everything.var(axis=0) if len(everything) else np.zeros(units)
    ranking = rank_units(spread if why else r)  # by |r|, else by variance
    top_units = [] if why else [int(u) for u in ranking[:top]]
    ranges = activation_ranges(acts, top_units, whistle, speech)
    detection = dict.fromkeys(DETECTION_KEYS)
    if len(top_units) >= 2:
        detection = _detection(acts, r, top_units, events, event_rows, whistle, quantile)
    best_auc = ranges[top_units[0]]["auc_whistle_vs_speech"] if top_units else float("nan")
    result = {
        "files": files, "annotated_files": measured, "outputs": int(len(everything)),
        "units": units,
        "whistle_share": float(whistle.mean()) if len(whistle) else None,
        "speech_share": float(speech.mean()) if len(speech) else None,
        "smoothing_outputs": int(smoothing),
        "activation_std": [float(v) for v in np.sqrt(spread)],
        "correlations": [float(v) for v in r],
        "ranking": [int(u) for u in ranking],
        "ranking_by": BY_VARIANCE if why else BY_CORRELATION,
        "best_unit": top_units[0] if top_units else None,
        "best_r": float(r[top_units[0]]) if top_units else None,
        "second_unit": top_units[1] if len(top_units) > 1 else None,
        "second_r": float(r[top_units[1]]) if len(top_units) > 1 else None,
        "threshold": threshold,
        "share_above_threshold": None if why else share_above(r, threshold),
        "ranges": {str(u): v for u, v in ranges.items()},
        "best_unit_whistle_speech_separation": (best_auc if np.isnan(best_auc)
                                                else max(best_auc, 1 - best_auc)),
        "detection": {"quantile": quantile, **detection},
    }
    result["best_abs_r"] = None if result["best_r"] is None else abs(result["best_r"])
    result = _none_for_nan(result)
    speech_why = _speech_reason(why, whistle, speech)
    result["not_measured"] = {
        key: (speech_why if key in SPEECH_MEASURES else why
              or "fewer than two units vary over the annotated held-out recordings")
        for key in (*WHISTLE_MEASURES, *SPEECH_MEASURES) if _get(result, key) is None}
    return result


# ---------------------------------------------------------------- stretches for the figure
def _background_runs(background):
    """(ahead, behind): the length of the run of True values starting at / ending at each
    position of a boolean array."""
    n = len(background)
    ahead, behind = np.zeros(n + 1, int), np.zeros(n + 1, int)
    for i in range(n - 1, -1, -1):
        ahead[i] = ahead[i + 1] + 1 if background[i] else 0
    for i in range(n):
        behind[i + 1] = behind[i] + 1 if background[i] else 0
    return ahead[:n], behind[1:]


def pick_stretch(truth, file, kind, seconds, duration, avoid=(), step=0.1, margin=0.0,
                 with_key=False):
    """(start, end) of the ``seconds``-long stretch of ``file`` (``duration`` s long) most
    covered by ``kind`` less what it holds of the ``avoid`` kinds (on a ``step`` grid).

    ``margin`` (seconds): a stretch that holds some ``kind`` and whose first and last
    ``margin`` seconds are background (none of ``kind`` nor ``avoid``) comes first, so that it
    shows what a unit does against background on both sides; where none has that much, the
    stretch with the longest background at its shorter end. ``with_key``: also return the
    stretch's ranking key (holds some, background at the ends up to ``margin``, coverage
    score), to compare stretches of several recordings."""
    grid = np.arange(0.0, duration, step) + step / 2
    covered = inside(grid, intervals(truth, file, kind))
    score, background = covered.astype(float), ~covered
    for other in avoid:
        hit = inside(grid, intervals(truth, file, other))
        score -= hit
        background &= ~hit
    width = max(int(round(seconds / step)), 1)
    if len(grid) <= width:
        start, end, windows = 0.0, float(min(seconds, duration)), None
    else:
        total = np.concatenate([[0.0], np.cumsum(score)])
        hits = np.concatenate([[0], np.cumsum(covered)])
        ahead, behind = _background_runs(background)
        starts = np.arange(len(grid) - width + 1)
        windows = (hits[starts + width] - hits[starts] > 0,
                   np.minimum.reduce([ahead[starts], behind[starts + width - 1],
                                      np.full(len(starts), int(round(margin / step)))]),
                   total[starts + width] - total[starts])
        best = int(np.lexsort((-starts, windows[2], windows[1], windows[0]))[-1])
        start, end = best * step, best * step + seconds
    if not with_key:
        return start, end
    if windows is None:
        key = (bool(covered.any()), 0, float(score.sum()))
    else:
        key = (bool(windows[0][best]), int(windows[1][best]), float(windows[2][best]))
    return start, end, key
