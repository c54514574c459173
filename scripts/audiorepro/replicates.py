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
import logging
import math
from pathlib import Path

from .atomic import write_json
from .errors import InputError
from .stats import ONE_SEED, summary  # noqa: F401 (ONE_SEED: the claims' name for it)

log = logging.getLogger("audiorepro")

# numbers that describe the run rather than its result: not summed up across seeds
SKIPPED = ("device", "training_seconds", "resumed_from_epoch")
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


def run(job):
    """The rules <study>_replicates: collect the seeds (:func:`collect`), draw their spread and
    log every shown number with its interval over seeds (or that there is none)."""
    from . import plots

    p, out = job.params, job.output
    document = collect(job.input.metrics, p.seeds, out.json, files=p.files)
    plots.save(plots.replicate_spread(document, p.shown, p.title), out.figure)
    for key in [k for k in p.shown if k in document["metrics"]]:
        s = document["metrics"][key]
        if s["n"] < 2:
            log.info("%s: %s from %d seed: no interval over seeds", key, s["mean"], s["n"])
        else:
            log.info("%s: mean %s, 95 %% interval over %d seeds [%s, %s]", key, s["mean"],
                     s["n"], s["low"], s["high"])
