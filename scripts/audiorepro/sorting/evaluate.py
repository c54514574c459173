"""Sorting accuracy with its interval, one table over the grid, and the claims measured on it.

Accuracy is per place (the post's measure): the fraction of (sample, place) pairs whose predicted
chunk is the right one; chance is 1/n. Its 95 % interval is Wilson's score interval. The places
of one sample are not independent (with n = 2 one place's answer nearly fixes the other's), so
the interval that decides "above chance" counts *samples*, not places: a sample's fraction of
right places is a variable in [0, 1] whose variance is at most p (1 - p), so Wilson's interval
with the number of validation samples as trials is a conservative one. The interval over places
(as if independent; narrower) is reported beside it.
"""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..errors import InputError

GRID_KEYS = ["dataset", "sample_length", "n_chunks", "pad_mode", "encoding", "protocol"]
METRIC_KEYS = ["accuracy", "ci_low", "ci_high", "chance", "above_chance",
               "permutation_accuracy", "permutation_chance", "n_valid", "positions"]


def wilson_interval(successes, trials, confidence=0.95):
    """Wilson score interval for a binomial proportion: (low, high), elementwise over arrays.
    ``successes`` may be fractional (a mean times a count)."""
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    if np.any(trials <= 0) or np.any(successes < 0) or np.any(successes > trials):
        raise InputError("trials", "need 0 <= successes <= trials and trials > 0")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    return (float(low), float(high)) if low.ndim == 0 else (low, high)


def sorting_metrics(probabilities, labels, confidence=0.95):
    """Metrics of the sorter's outputs (samples, n, n) against labels (samples, n).

    Returns a dict: accuracy (per place), chance (1/n), ci_low/ci_high (Wilson over samples, see
    the module docstring), above_chance (ci_low > chance), ci_low_places/ci_high_places (Wilson
    over places), permutation_accuracy (every place right) and its chance 1/n!, place_accuracy
    (one per place), n_valid (samples), positions (samples x n), valid_permutations (fraction of
    samples whose per-place argmax is a permutation).
    """
    probabilities = np.asarray(probabilities)
    labels = np.asarray(labels)
    if probabilities.ndim != 3 or probabilities.shape[:2] != labels.shape or \
            probabilities.shape[1] != probabilities.shape[2]:
        raise InputError("predictions", f"shape {probabilities.shape} does not match labels "
                         f"{labels.shape} as (samples, n, n) and (samples, n)")
    m, n = labels.shape
    if m == 0:
        raise InputError("predictions", "no validation samples")
    predicted = probabilities.argmax(axis=-1)
    right = predicted == labels
    accuracy = float(right.mean())
    low, high = wilson_interval(accuracy * m, m, confidence)
    low_p, high_p = wilson_interval(right.sum(), m * n, confidence)
    chance = 1.0 / n
    return {
        "accuracy": accuracy,
        "chance": chance,
        "ci_low": low,
        "ci_high": high,
        "above_chance": bool(low > chance),
        "ci_low_places": low_p,
        "ci_high_places": high_p,
        "confidence": confidence,
        "permutation_accuracy": float(right.all(axis=1).mean()),
        "permutation_chance": 1.0 / math.factorial(n),
        "place_accuracy": right.mean(axis=0).tolist(),
        "n_valid": int(m),
        "positions": int(m * n),
        "valid_permutations": float(
            np.all(np.sort(predicted, axis=1) == np.arange(n), axis=1).mean()),
    }


def run_metrics(point, probabilities, labels, **extra):
    """The metrics dict of one grid run: ``point`` (a dict holding every GRID_KEYS entry), then
    :func:`sorting_metrics`, then ``extra`` (seconds, epochs, device, split counts, ...)."""
    missing = [k for k in GRID_KEYS if k not in point]
    if missing:
        raise InputError("grid point", f"lacks {', '.join(missing)}")
    return {**point, **sorting_metrics(probabilities, labels), **extra}


def collect(metrics_dicts):
    """One row per grid run from its metrics dict: the grid keys (dataset, sample_length,
    n_chunks, pad_mode, encoding, protocol), then accuracy, ci_low, ci_high, chance,
    above_chance, ..., then any other scalar keys. Sorted by the grid keys. Raises InputError
    for a run missing a key or a grid point given twice."""
    rows = []
    for i, metrics in enumerate(metrics_dicts):
        missing = [k for k in GRID_KEYS + METRIC_KEYS if k not in metrics]
        if missing:
            where = metrics.get("run", f"run {i}")
            raise InputError(where, f"metrics lack {', '.join(missing)}")
        rows.append({k: v for k, v in metrics.items() if np.isscalar(v) or v is None})
    if not rows:
        raise InputError("metrics", "no runs to collect")
    table = pd.DataFrame(rows)
    twice = table.duplicated(GRID_KEYS, keep=False)
    if twice.any():
        point = table.loc[twice, GRID_KEYS].iloc[0].to_dict()
        raise InputError("metrics", f"grid point given twice: {point}")
    table["skill"] = (table.accuracy - table.chance) / (1.0 - table.chance)
    first = GRID_KEYS + METRIC_KEYS + ["skill"]
    table = table[first + [c for c in table.columns if c not in first]]
    return table.sort_values(GRID_KEYS, kind="stable").reset_index(drop=True)


# --- the claims -----------------------------------------------------------------------------------


def _pick(table, **where):
    rows = table
    for key, value in where.items():
        rows = rows[rows[key] == value]
    return rows


def _row(claim, rows, verdict, note=""):
    if len(rows) == 0:
        return {"id": claim, "verdict": "not measured", "runs": 0, "accuracy": None,
                "ci_low": None, "ci_high": None, "chance": None, "note": note}
    return {"id": claim, "verdict": verdict, "runs": len(rows),
            "accuracy": float(rows.accuracy.mean()), "ci_low": float(rows.ci_low.min()),
            "ci_high": float(rows.ci_high.max()), "chance": float(rows.chance.mean()),
            "note": note}


def claims(table, protocol="clean"):
    """The sorting claims (S1-S7 of the claims table) judged on the collected grid ``table``,
    on runs of ``protocol``. One row per claim: id, verdict ("supported", "contradicted" or
    "not measured"), runs used, mean accuracy, widest interval (lowest ci_low, highest ci_high),
    chance, note. A run "at chance" is one whose interval does not lie above chance."""
    t = table[table.protocol == protocol]
    out = []

    def at_chance(rows):
        return "supported" if not rows.above_chance.any() else "contradicted"

    rows = _pick(t, dataset="noise", n_chunks=3)
    out.append(_row("S1", rows, at_chance(rows), "noise, n = 3, every pad mode and length"))
    rows = _pick(t, dataset="tone", n_chunks=3, pad_mode="random_constant")
    out.append(_row("S2", rows, "supported" if rows.above_chance.all() else "contradicted",
                    "tone, random_constant, n = 3"))
    rows = _pick(t, dataset="tone", pad_mode="random_per_gap")
    out.append(_row("S3", rows, at_chance(rows), "tone, random_per_gap, every n"))
    rows = _pick(t, dataset="tone", n_chunks=2, pad_mode="random_constant")
    out.append(_row("S4", rows, at_chance(rows), "tone, random_constant, n = 2"))
    music = _pick(t, dataset="music")
    few, many = music[music.n_chunks <= 3], music[music.n_chunks > 3]
    verdict = ("supported" if len(few) and len(many) and few.skill.mean() > many.skill.mean()
               else "contradicted")
    note = (f"skill (acc - chance) / (1 - chance): n <= 3 {few.skill.mean():.3f}, "
            f"n > 3 {many.skill.mean():.3f}" if len(few) and len(many)
            else "needs n <= 3 and n > 3")
    out.append(_row("S5", music if len(few) and len(many) else music.iloc[0:0], verdict, note))
    lengths = sorted(music.sample_length.unique())
    matched = ["n_chunks", "pad_mode", "encoding"]
    if len(lengths) >= 2:
        short, long = (music[music.sample_length == v] for v in (lengths[0], lengths[-1]))
        pairs = short.merge(long, on=matched, suffixes=("_short", "_long"))
    if len(lengths) >= 2 and len(pairs):
        a, b = pairs.skill_short.mean(), pairs.skill_long.mean()
        out.append(_row("S6", pd.concat([short, long]), "supported" if a > b else "contradicted",
                        f"skill at {lengths[0]} s {a:.3f}, at {lengths[-1]} s {b:.3f} "
                        f"(mean over {len(pairs)} matched n, pad mode, encoding)"))
    else:
        out.append(_row("S6", music.iloc[0:0], "", "needs two sample lengths at the same n"))
    tone, sine = _pick(t, dataset="tone"), _pick(t, dataset="sine")
    both = tone.merge(sine, on=[k for k in GRID_KEYS if k != "dataset"], suffixes=("", "_sine"))
    same = (both.ci_low <= both.ci_high_sine) & (both.ci_low_sine <= both.ci_high)
    out.append(_row("S7", both, "supported" if same.all() else "contradicted",
                    f"tiled tone and plain sine intervals overlap at {int(same.sum())} of "
                    f"{len(both)} grid points"))
    return pd.DataFrame(out)
