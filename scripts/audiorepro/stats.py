"""Intervals and rank statistics the studies and the claims share: the t interval of a mean over
seeds, Wilson's interval of a proportion, a seeded percentile bootstrap, and the area under the
ROC curve (scikit-learn's ``roc_auc_score``; the orcas units and the whales networks alike)."""

import math
from statistics import NormalDist

import numpy as np

from .errors import InputError

# the verdict of a claim that would need an interval over seeds when one seed, without a
# sampling interval of its own, is all there is (here, not in replicates, which draws: a
# verdict module importing it would rerun on a plotting edit)
ONE_SEED = "inconclusive: one seed"


def t_quantile(k, confidence=0.95):
    """The two-sided t quantile for a mean of k values (k - 1 degrees of freedom)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, k - 1))


def summary(values, confidence=0.95):
    """values, n, mean, sd, low, high (the t interval of the mean over the finite values); with
    one finite value there is no spread nor interval over seeds: sd, low and high are None."""
    v = np.asarray(values, float)
    finite = v[np.isfinite(v)]
    k = len(finite)
    out = {"values": [None if not math.isfinite(x) else float(x) for x in v.tolist()], "n": k,
           "mean": float(finite.mean()) if k else None, "sd": None, "low": None, "high": None}
    if k > 1:
        sd = float(finite.std(ddof=1))
        half = t_quantile(k, confidence) * sd / math.sqrt(k)
        out.update(sd=sd, low=out["mean"] - half, high=out["mean"] + half)
    return out


def wilson(successes, trials, confidence=0.95):
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


def proportion_interval(proportions, counts, confidence=0.95):
    """(low, high) within [0, 1]: the t interval over seeds of ``proportions`` widened to at
    least the Wilson interval of the mean proportion on one seed's sample (the mean of
    ``counts``). Seeds may share their test sample (catsdogs' test files), so their counts are
    not pooled."""
    s = summary(proportions, confidence)
    counts = [c for c in counts if c is not None and math.isfinite(c)]
    n = int(round(float(np.mean(counts)))) if counts else 0
    if not n:  # no sample to widen it by: the interval over seeds, if there is one
        return (s["low"], s["high"]) if s["low"] is None else (max(0.0, s["low"]),
                                                               min(1.0, s["high"]))
    w_low, w_high = wilson(round(s["mean"] * n), n, confidence)
    if s["low"] is None:  # one seed: its sample's interval alone
        return w_low, w_high
    return max(0.0, min(s["low"], w_low)), min(1.0, max(s["high"], w_high))


def bootstrap(values, statistic=np.mean, confidence=0.95, draws=2000, seed=0):
    """(low, high): the percentile bootstrap interval of ``statistic`` over ``values`` (one per
    sample, e.g. each validation sequence's error), resampled ``draws`` times with a fixed
    ``seed`` so that the same values give the same interval; a seed's sampling interval, for its
    metrics file's ``sampling_interval``. None with fewer than two values."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    picks = np.random.default_rng(seed).integers(0, len(values), (draws, len(values)))
    stats = np.array([statistic(values[i]) for i in picks])
    tail = 100 * (1 - confidence) / 2
    return float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


def roc_auc(labels, scores):
    """Area under the ROC curve of ``scores`` for binary ``labels`` (scikit-learn's
    ``roc_auc_score``; ties count half); NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels).astype(int)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, np.asarray(scores, np.float64)))


def auc(positive, negative):
    """Probability that a value from ``positive`` exceeds one from ``negative`` (ties half), the
    Mann-Whitney statistic scaled to [0, 1]: :func:`roc_auc` of the two groups; NaN if either is
    empty."""
    positive, negative = np.asarray(positive, float), np.asarray(negative, float)
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    return roc_auc(labels, np.concatenate([positive, negative]))
