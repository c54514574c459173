"""Seed replicates: a trained variant run with k seeds, its numbers summed up across them.

One training run gives one number, and its interval (Wilson over the validation sample) says
nothing of how far another seed, another thread count or another machine would move it. Each
variant is therefore trained with ``replicates`` seeds (``training.seed``, ``seed + 1``, ...);
the collect rule ``<study>_replicates`` writes ``replicates.json``, holding for every number of
the seeds' metrics files (dotted key, as the claims name them) its per-seed values, mean,
standard deviation and a 95 % interval over seeds: mean +- t(0.975, k - 1) * sd / sqrt(k). With
one seed there is no interval over seeds: its sd, low and high are null, and the file says the
spread is unknown; a claim then needs that seed's own sampling interval.

For a proportion measured on n samples per seed, :func:`proportion_interval` widens that
interval to at least the Wilson interval of one seed's sample, so that seeds agreeing by
chance on a small validation set do not make a point interval (and one seed has Wilson's).

A seed's metrics file may state, beside its numbers, top-level mappings from a dotted key to:
``not_measured`` (why the value is null), ``not_comparable`` (why the value, though measured,
means nothing for the claims: e.g. "generation collapsed") and ``sampling_interval`` ([low,
high], the 95 % interval of that value over the seed's own samples, e.g. :func:`bootstrap`
over validation sequences). The replicates document keeps all three: the first two under
``metrics.<key>`` with the seed named, the intervals as ``sampling`` (one per seed) beside the
key's values.
"""

import json
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np

from .atomic import write_json
from .errors import InputError

# numbers that describe the run rather than its result: not summed up across seeds
SKIPPED = ("device", "training_seconds", "resumed_from_epoch")
# the verdict of a claim that would need an interval over seeds when one seed, without a
# sampling interval of its own, is all there is
ONE_SEED = "inconclusive: one seed"
# a metrics file's statements about its numbers (dotted key: why, or [low, high]): kept apart
STATEMENTS = ("not_measured", "not_comparable", "sampling_interval")


def numbers(metrics, prefix=""):
    """{dotted key: float} of every number (not bool) in a metrics dict, lists indexed by
    position (from 0, and from -1 at the end); a null is NaN (not measured); keys under
    :data:`SKIPPED` and the statements of :data:`STATEMENTS` left out."""
    out = {}
    if isinstance(metrics, dict):
        items = list(metrics.items())
    else:  # a list: by position, and from the end as the claims may name it (list.-1)
        items = list(enumerate(metrics)) + [(i - len(metrics), v) for i, v in enumerate(metrics)]
    for key, value in items:
        name = f"{prefix}{key}"
        if str(key) in SKIPPED + STATEMENTS:
            continue
        if isinstance(value, (dict, list)):
            out.update(numbers(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
        elif value is None:
            out[name] = float("nan")  # a measure the run could not take: kept, as missing
    return out


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


def _interval(stated):
    """A seed's stated sampling interval as [low, high], or None unless two finite numbers."""
    ok = isinstance(stated, (list, tuple)) and len(stated) == 2 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in stated)
    return [float(x) for x in stated] if ok else None


def aggregate(per_seed, seeds, confidence=0.95):
    """The replicates document from the seeds' metrics dicts (same order as ``seeds``): every
    number any of them has, summed up over the seeds that have it (:func:`summary`), plus
    ``diverged`` when any seed's training diverged, ``not_measured`` (why a measure is
    missing, as the seeds' own ``not_measured`` said) and ``not_comparable`` (why a measure
    means nothing, as any seed said it); a key a seed gives a ``sampling_interval`` for carries
    ``sampling``, one [low, high] or None per seed."""
    if not per_seed or len(per_seed) != len(seeds):
        raise InputError("replicates", f"{len(per_seed)} metrics files for {len(seeds)} seeds")
    flat = [numbers(m) for m in per_seed]
    keys = list(dict.fromkeys(k for f in flat for k in f))  # a key any seed has, in order
    diverged = [s for s, m in zip(seeds, per_seed) if m.get("diverged")]
    reasons = {"not_measured": {}, "not_comparable": {}}
    for seed, m in zip(seeds, per_seed):  # why a measure is missing or void, as the seeds said
        for what, found in reasons.items():
            for key, why in (m.get(what) or {}).items():
                found.setdefault(f"metrics.{key}", f"{why} (seed {seed})")
    metrics = {k: summary([f.get(k, float("nan")) for f in flat], confidence) for k in keys}
    for key, s in metrics.items():
        intervals = [(m.get("sampling_interval") or {}).get(key) for m in per_seed]
        if any(intervals):
            s["sampling"] = [_interval(i) for i in intervals]
    return {
        "seeds": [int(s) for s in seeds],
        "replicates": len(seeds),
        "confidence": confidence,
        "interval": ("t interval over seeds" if len(seeds) > 1
                     else "one seed: the spread over seeds is unknown"),
        "device": next((m["device"] for m in per_seed if isinstance(m.get("device"), dict)), None),
        "diverged": bool(diverged),
        "diverged_seeds": diverged,
        "metrics": metrics,
        **reasons,
    }


def collect(metrics_paths, seeds, out, files=None):
    """Read the seeds' metrics files, write the replicates document to ``out``; return it.

    ``files`` names the files each seed has, in the order ``metrics_paths`` lists them per seed
    (seed-major): the first file's numbers keep their keys, another file's go under its stem
    (``generation.json``'s ``drift.drift_second`` becomes ``generation.drift.drift_second``)."""
    files = list(files or ["metrics.json"])
    if len(metrics_paths) != len(files) * len(seeds):
        raise InputError("replicates", f"{len(metrics_paths)} files for {len(seeds)} seeds of "
                                       f"{', '.join(files)}")
    per_seed = []
    for i in range(len(seeds)):
        merged = {}
        for name, path in zip(files, metrics_paths[i * len(files):(i + 1) * len(files)]):
            try:
                document = json.loads(Path(path).read_text())
            except (OSError, ValueError) as err:
                raise InputError(path, f"is not a readable metrics file ({err})") from None
            if not merged:
                merged = document
                continue
            stem = Path(name).stem
            merged[stem] = document
            merged["diverged"] = bool(merged.get("diverged") or document.get("diverged"))
            for what in STATEMENTS:
                for key, why in (document.get(what) or {}).items():
                    merged.setdefault(what, {})[f"{stem}.{key}"] = why
        per_seed.append(merged)
    document = aggregate(per_seed, seeds)
    write_json(out, document)
    return document
