"""The sorting claims (S1-S7 of the claims table) judged on the collected grid.

Apart from :mod:`.evaluate`, which the training jobs import, so that an edit to a claim's rule
reruns the collect rule and the claims table, not the 50-odd grid trainings.
"""

import numpy as np
import pandas as pd

from ..stats import ONE_SEED
from .evaluate import GRID_KEYS

# A "cannot be sorted" claim (S1, S3, S4) is a claim of no effect, tested as every claim with an
# original value is: within a stated tolerance of it. It holds while every interval reaches down
# to chance plus this much skill, (acc - chance) / (1 - chance); a cue smaller than that (e.g. a
# tone at n = 2 sorted 0.53 of the time, chance 0.5) does not decide it either way from one run
# to the next.
CHANCE_TOLERANCE = 0.1


def seed_difference(a, b):
    """The mean skill of runs ``a`` minus that of runs ``b`` (per-seed tables), per seed, and
    its summary over seeds (audiorepro.stats.summary); None without both in some seed.
    With one seed there is no interval over seeds: the summary then carries ``sampling``, the
    interval of that seed's difference over its runs' validation samples
    (:func:`sampling_difference`)."""
    from ..stats import summary

    shared = sorted(set(a.seed) & set(b.seed))
    diffs = [a[a.seed == seed].skill.mean() - b[b.seed == seed].skill.mean() for seed in shared]
    kept = [(seed, d) for seed, d in zip(shared, diffs) if np.isfinite(d)]
    if not kept:
        return None
    difference = summary([d for _, d in kept])
    if difference["n"] == 1:
        seed = kept[0][0]
        difference["sampling"] = sampling_difference(a[a.seed == seed], b[b.seed == seed])
    return difference


def sampling_difference(a, b, confidence=0.95):
    """(low, high): a normal interval of mean skill of runs ``a`` minus that of runs ``b`` (one
    seed) over their validation samples: each run's skill (acc - chance) / (1 - chance) has the
    standard error of its Wilson interval (ci_low, ci_high) over (1 - chance); the runs are
    independent. None where the runs give no such interval."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)

    def variance(rows):
        se = (rows.ci_high - rows.ci_low) / (2 * z) / (1 - rows.chance)
        return float((se ** 2).sum()) / len(rows) ** 2

    spread = z * np.sqrt(variance(a) + variance(b))
    if not np.isfinite(spread) or spread <= 0:
        return None
    centre = a.skill.mean() - b.skill.mean()
    return float(centre - spread), float(centre + spread)


def _compare(difference, what):
    """supported / contradicted / inconclusive for "difference > 0", with a note: over two or
    more seeds the interval of the per-seed differences decides; one seed's sampling interval
    over its validation samples where there is one, else "inconclusive: one seed"."""
    if difference is None:
        return "", f"needs {what}"
    if difference["n"] < 2:
        interval = difference.get("sampling")
        if interval is None:
            return ONE_SEED, (f"{what}: difference {difference['mean']:.3f} from one seed, "
                              "which gives no interval")
        low, high = interval
        where = "one seed: 95 % interval over its runs' validation samples"
    else:
        low, high = difference["low"], difference["high"]
        where = f"95 % interval over {difference['n']} seeds"
    verdict = "supported" if low > 0 else "contradicted" if high < 0 else "inconclusive"
    return verdict, f"{what}: difference {difference['mean']:.3f}, {where} [{low:.3f}, {high:.3f}]"


def _pick(table, **where):
    rows = table
    for key, value in where.items():
        rows = rows[rows[key] == value]
    return rows


def _row(claim, rows, verdict, note="", difference=None):
    """One claim's row: the runs' mean accuracy and widest interval; for a claim decided by a
    per-seed ``difference`` (:func:`seed_difference`: S5, S6) also that difference and its
    interval over seeds, the numbers the verdict rests on (None where there is none)."""
    compared = {"difference": None, "difference_low": None, "difference_high": None}
    if difference is not None:
        low, high = ((difference["low"], difference["high"]) if difference["n"] > 1
                     else difference.get("sampling") or (None, None))
        compared = {"difference": float(difference["mean"]),
                    "difference_low": None if low is None else float(low),
                    "difference_high": None if high is None else float(high)}
    if len(rows) == 0:
        return {"id": claim, "verdict": "not measured", "runs": 0, "accuracy": None,
                "ci_low": None, "ci_high": None, "chance": None, "note": note, **compared}
    return {"id": claim, "verdict": verdict, "runs": len(rows),
            "accuracy": float(rows.accuracy.mean()), "ci_low": float(rows.ci_low.min()),
            "ci_high": float(rows.ci_high.max()), "chance": float(rows.chance.mean()),
            "note": note, **compared}


def claims(table, protocol="clean", runs=None):
    """The sorting claims (S1-S7 of the claims table) judged on the collected grid ``table``
    (:func:`collect`: intervals over seeds), on runs of ``protocol``; ``runs`` is the per-seed
    table (:func:`per_seed_table`) from which S5 and S6 take their differences seed by seed.
    One row per claim: id, verdict ("supported", "contradicted", "inconclusive", "inconclusive:
    one seed" or "not measured"), runs used, mean accuracy, widest interval (lowest ci_low, highest ci_high),
    chance, note. A run "at chance" is one whose interval does not lie wholly above chance plus
    :data:`CHANCE_TOLERANCE` of skill."""
    t = table[table.protocol == protocol]
    out = []

    def at_chance(rows):
        skill_low = (rows.ci_low - rows.chance) / (1 - rows.chance)
        return "supported" if not (skill_low > CHANCE_TOLERANCE).any() else "contradicted"

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
    difference = (seed_difference(seeds[seeds.n_chunks <= 3], seeds[seeds.n_chunks > 3])
                  if len(few) and len(many) else None)
    verdict, note = _compare(difference, "skill (acc - chance) / (1 - chance) at n <= 3 minus n > 3")
    out.append(_row("S5", music if len(few) and len(many) else music.iloc[0:0], verdict, note,
                    difference))
    lengths = sorted(music.sample_length.unique())
    matched = ["n_chunks", "pad_mode", "encoding"]
    if len(lengths) >= 2:
        short, long = (seeds[seeds.sample_length == v] for v in (lengths[0], lengths[-1]))
        keys = short[matched].drop_duplicates().merge(long[matched].drop_duplicates())
        short, long = short.merge(keys), long.merge(keys)
    if len(lengths) >= 2 and len(short):
        difference = seed_difference(short, long)
        verdict, note = _compare(difference,
                                 f"skill at {lengths[0]} s minus at {lengths[-1]} s (matched n, "
                                 "pad mode, encoding)")
        rows = music[music.sample_length.isin([lengths[0], lengths[-1]])]
        out.append(_row("S6", rows, verdict, note, difference))
    else:
        out.append(_row("S6", music.iloc[0:0], "", "needs two sample lengths at the same n"))
    tone, sine = _pick(t, dataset="tone"), _pick(t, dataset="sine")
    both = tone.merge(sine, on=[k for k in GRID_KEYS if k != "dataset"], suffixes=("", "_sine"))
    same = (both.ci_low <= both.ci_high_sine) & (both.ci_low_sine <= both.ci_high)
    out.append(_row("S7", both, "supported" if same.all() else "contradicted",
                    f"tiled tone and plain sine intervals overlap at {int(same.sum())} of "
                    f"{len(both)} grid points"))
    return pd.DataFrame(out)
