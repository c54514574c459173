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

import numpy as np
import pandas as pd

from ..errors import InputError
from ..replicates import wilson

GRID_KEYS = ["dataset", "sample_length", "n_chunks", "pad_mode", "encoding", "protocol"]
METRIC_KEYS = ["accuracy", "ci_low", "ci_high", "chance", "above_chance",
               "permutation_accuracy", "permutation_chance", "n_valid", "positions"]


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
    low, high = wilson(accuracy * m, m, confidence)
    low_p, high_p = wilson(right.sum(), m * n, confidence)
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


def per_seed_table(metrics_dicts):
    """One row per grid run and seed from its metrics dict: the grid keys, ``seed``, the metric
    keys, then any other scalar keys. Raises InputError for a run missing a key or a grid point
    given twice with the same seed."""
    rows = []
    for i, metrics in enumerate(metrics_dicts):
        missing = [k for k in GRID_KEYS + METRIC_KEYS if k not in metrics]
        if missing:
            where = metrics.get("run", f"run {i}")
            raise InputError(where, f"metrics lack {', '.join(missing)}")
        rows.append({"seed": 0, **{k: v for k, v in metrics.items() if np.isscalar(v) or v is None}})
    if not rows:
        raise InputError("metrics", "no runs to collect")
    table = pd.DataFrame(rows)
    twice = table.duplicated(GRID_KEYS + ["seed"], keep=False)
    if twice.any():
        point = table.loc[twice, GRID_KEYS + ["seed"]].iloc[0].to_dict()
        raise InputError("metrics", f"grid point given twice: {point}")
    table["skill"] = (table.accuracy - table.chance) / (1.0 - table.chance)
    return table.sort_values(GRID_KEYS + ["seed"], kind="stable").reset_index(drop=True)


def collect(metrics_dicts):
    """One row per grid point, its seed replicates summed up: the grid keys, then accuracy (the
    mean over seeds), ci_low/ci_high (the 95 % interval over seeds, widened to at least one
    seed's Wilson interval: :func:`audiorepro.replicates.proportion_interval`), chance,
    above_chance (ci_low > chance), ..., seeds, accuracy_sd, accuracy_seeds (each seed's), then
    the means of other numbers. Sorted by the grid keys. See :func:`per_seed_table`."""
    from ..replicates import proportion_interval

    runs = per_seed_table(metrics_dicts)
    rows = []
    for _, group in runs.groupby(GRID_KEYS, sort=False):
        first = group.iloc[0]
        row = {k: first[k] for k in GRID_KEYS}
        for column in group.columns:
            if column in GRID_KEYS or column == "seed":
                continue
            values = group[column]
            numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            row[column] = float(values.mean()) if numeric else first[column]
        low, high = proportion_interval(group.accuracy.tolist(), group.n_valid.tolist())
        row.update(ci_low=low, ci_high=high, above_chance=bool(low > row["chance"]),
                   seeds=len(group), accuracy_sd=float(group.accuracy.std(ddof=1))
                   if len(group) > 1 else 0.0,
                   accuracy_seeds=" / ".join(f"{a:.3f}" for a in group.accuracy))
        rows.append(row)
    table = pd.DataFrame(rows)
    first = GRID_KEYS + METRIC_KEYS + ["skill", "seeds", "accuracy_sd", "accuracy_seeds"]
    table = table[first + [c for c in table.columns if c not in first]]
    return table.sort_values(GRID_KEYS, kind="stable").reset_index(drop=True)


def seed_difference(a, b):
    """The mean skill of runs ``a`` minus that of runs ``b`` (per-seed tables), per seed, and
    its summary over seeds (audiorepro.replicates.summary); None without both in some seed."""
    from ..replicates import summary

    diffs = [a[a.seed == seed].skill.mean() - b[b.seed == seed].skill.mean()
             for seed in sorted(set(a.seed) & set(b.seed))]
    diffs = [d for d in diffs if np.isfinite(d)]
    return summary(diffs) if diffs else None


def _compare(difference, what):
    """supported / contradicted / inconclusive for "difference > 0", with a note: over two or
    more seeds the interval of the per-seed differences decides; one seed decides by its sign."""
    if difference is None:
        return "", f"needs {what}"
    if difference["n"] < 2:
        return ("supported" if difference["mean"] > 0 else "contradicted",
                f"{what}: difference {difference['mean']:.3f} (one seed: no interval)")
    verdict = ("supported" if difference["low"] > 0 else "contradicted"
               if difference["high"] < 0 else "inconclusive")
    return verdict, (f"{what}: difference {difference['mean']:.3f}, 95 % interval over "
                     f"{difference['n']} seeds [{difference['low']:.3f}, {difference['high']:.3f}]")


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


def claims(table, protocol="clean", runs=None):
    """The sorting claims (S1-S7 of the claims table) judged on the collected grid ``table``
    (:func:`collect`: intervals over seeds), on runs of ``protocol``; ``runs`` is the per-seed
    table (:func:`per_seed_table`) from which S5 and S6 take their differences seed by seed.
    One row per claim: id, verdict ("supported", "contradicted", "inconclusive" or "not
    measured"), runs used, mean accuracy, widest interval (lowest ci_low, highest ci_high),
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
    seeds = _pick(runs if runs is not None else t.assign(seed=0), protocol=protocol, dataset="music")
    verdict, note = _compare(
        seed_difference(seeds[seeds.n_chunks <= 3], seeds[seeds.n_chunks > 3]) if len(few) and
        len(many) else None, "skill (acc - chance) / (1 - chance) at n <= 3 minus n > 3")
    out.append(_row("S5", music if len(few) and len(many) else music.iloc[0:0], verdict, note))
    lengths = sorted(music.sample_length.unique())
    matched = ["n_chunks", "pad_mode", "encoding"]
    if len(lengths) >= 2:
        short, long = (seeds[seeds.sample_length == v] for v in (lengths[0], lengths[-1]))
        keys = short[matched].drop_duplicates().merge(long[matched].drop_duplicates())
        short, long = short.merge(keys), long.merge(keys)
    if len(lengths) >= 2 and len(short):
        verdict, note = _compare(seed_difference(short, long),
                                 f"skill at {lengths[0]} s minus at {lengths[-1]} s (matched n, "
                                 "pad mode, encoding)")
        rows = music[music.sample_length.isin([lengths[0], lengths[-1]])]
        out.append(_row("S6", rows, verdict, note))
    else:
        out.append(_row("S6", music.iloc[0:0], "", "needs two sample lengths at the same n"))
    tone, sine = _pick(t, dataset="tone"), _pick(t, dataset="sine")
    both = tone.merge(sine, on=[k for k in GRID_KEYS if k != "dataset"], suffixes=("", "_sine"))
    same = (both.ci_low <= both.ci_high_sine) & (both.ci_low_sine <= both.ci_high)
    out.append(_row("S7", both, "supported" if same.all() else "contradicted",
                    f"tiled tone and plain sine intervals overlap at {int(same.sum())} of "
                    f"{len(both)} grid points"))
    return pd.DataFrame(out)
