"""Sorting accuracy with its interval and one table over the grid (the claims judged on it:
:mod:`audiorepro.sorting.verdicts`).

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
from ..stats import wilson

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


def metrics(point, probabilities, labels, **extra):
    """The metrics dict of one grid run (its metrics.json before the training record is merged
    in): ``point`` (a dict holding every GRID_KEYS entry), then :func:`sorting_metrics`, then
    ``extra`` (the run's name, seeds, sample and split counts, ...)."""
    missing = [k for k in GRID_KEYS if k not in point]
    if missing:
        raise InputError("grid point", f"lacks {', '.join(missing)}")
    return {**point, **sorting_metrics(probabilities, labels), **extra}


def per_seed_table(metrics_dicts):
    """One row per grid run and seed from its metrics dict: the grid keys, ``seed``, the metric
    keys, then any other scalar keys. Raises InputError for a run missing a key or a grid point
    given twice with the same seed."""
    rows = []
    for i, run in enumerate(metrics_dicts):
        missing = [k for k in GRID_KEYS + METRIC_KEYS if k not in run]
        if missing:
            where = run.get("run", f"run {i}")
            raise InputError(where, f"metrics lack {', '.join(missing)}")
        rows.append({"seed": 0, **{k: v for k, v in run.items() if np.isscalar(v) or v is None}})
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
    seed's Wilson interval: :func:`audiorepro.stats.proportion_interval`), chance,
    above_chance (ci_low > chance), ..., seeds, accuracy_sd, accuracy_seeds (each seed's), then
    the means of other numbers. Sorted by the grid keys. See :func:`per_seed_table`."""
    from ..stats import proportion_interval

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
