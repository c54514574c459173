"""The claims table: every claim of the originals beside what this workflow measured, with a
verdict from a rule declared next to the claim (``audiorepro/<study>/claims.yaml``).

A claim row names where it comes from, the original value, the measure of ours it is compared
with (``file:key`` references into the study's results folder) and its rule. Rules:

``range`` (``low``, ``high``), ``at_least``/``at_most`` (``value``), ``equals`` (``value``),
``close`` (the first two measures differ by at most ``tolerance``),
``greater`` (the first measure above every other one), ``ordering`` (the measures increase,
``strict`` or not), ``above_chance``/``at_chance`` (a proportion with its count: the 95 % Wilson
interval lies above chance / contains it), ``figure`` (qualitative: the reviewer checks the
named figure), ``judged`` (the study's own evaluation decided, by the rule in ``text``: the
measures are its verdict, value and interval), ``not_run`` (``reason``), ``not_comparable``
(``reason``: the comparison means nothing at this model size; our numbers are shown). A claim
with ``real_data: true`` is about numbers of the original data set: on embedded (synthetic) data
its verdict is "not testable on embedded data", though our number is shown. A claim with
``needs: annotations`` reads whistle or speech annotations: on real recordings without
annotation tables its verdict is "not testable: no annotations". A measure that is null (or
NaN) gives "not measured: <why>", the reason taken from the results file's top-level
``not_measured`` mapping (dotted key: reason) where it gives one; a measure the file's
top-level ``not_comparable`` mapping names (dotted key: why, e.g. "generation collapsed")
gives "not comparable: <why>". A measure read from a results file that says ``"diverged":
true`` gives "training diverged", never "holds". Rules are written beside the claims and never
tuned to the results.

No verdict rests on a zero-width interval. A measure over seed replicates is judged on its 95 %
interval over seeds; with one seed there is none, and the seed's own sampling interval takes its
place: the Wilson interval of a proportion whose sample count the claim names (``counts:``, one
reference or null per measure; ``above_chance``/``at_chance`` name it as their second measure),
or the interval the results file states for the key (``sampling_interval``: dotted key: [low,
high], e.g. a bootstrap over validation samples). Without one the verdict is "inconclusive: one
seed". Plain numbers that rest on seeds say how many with ``seeds:`` (a reference to their list
or count, or a list of such references or nulls, one per measure). ``equals`` (an exact count) and a rule with ``depends_on_seed: false`` (a property of
the data or the model that no seed moves) need no interval. ``labels:`` (one per number shown)
say what each number of the "ours" column measures; without them, a row of several numbers
names each by its key.
"""

import json
import math
from pathlib import Path
from typing import Callable, NamedTuple

import pandas as pd
import yaml

from .errors import InputError
from .stats import ONE_SEED
from .stats import proportion_interval, wilson

HOLDS, DIFFERS = "holds", "differs"
NO_SAMPLES = "inconclusive: no samples"
NOT_COMPARABLE = "not comparable"
NOT_TESTABLE = "not testable on embedded data"
NOT_RUN, SEE_FIGURE, NOT_BUILT = "not run", "see figure", "study not built yet"
NOT_IN_CONFIG = "not in this configuration"
NOT_ANNOTATED = "not testable: no annotations"
NOT_MEASURED = "not measured"
INCONCLUSIVE = "inconclusive"
DIVERGED = "training diverged"
COLUMNS = ["study", "id", "claim", "source", "original", "measure", "ours", "verdict", "rule",
           "configuration", "device", "commit", "code", "data", "caveats"]


class Results:
    """Reads ``file:key`` references under one study's results folder (JSON by dotted key, or
    a CSV's cell as ``row.column`` with the first column as the index), caching files."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self._files = {}

    def _load(self, name):
        if name not in self._files:
            path = self.folder / name
            if not path.is_file():
                raise InputError(path, "is missing: the claims table needs it")
            if path.suffix == ".json":
                self._files[name] = json.loads(path.read_text())
            else:
                frame = pd.read_csv(path, index_col=0)
                frame.index = frame.index.astype(str)
                self._files[name] = frame
        return self._files[name]

    def value(self, ref):
        name, _, key = ref.partition(":")
        data = self._load(name)
        if isinstance(data, pd.DataFrame):
            row, _, column = key.partition(".")
            return data.loc[row, column].item()
        parts = key.split(".")
        while parts:
            if isinstance(data, list):
                data, parts = data[int(parts[0])], parts[1:]
                continue
            # a dict's keys may hold dots themselves (replicates.json's flattened metrics):
            # the longest run of parts that is a key wins
            for end in range(len(parts), 0, -1):
                if isinstance(data, dict) and ".".join(parts[:end]) in data:
                    data, parts = data[".".join(parts[:end])], parts[end:]
                    break
            else:
                raise InputError(self.folder / name, f"has no {key!r} (needed by the claims table)")
        return data

    def statement(self, ref, what):
        """What the JSON file of ``ref`` states about its key under the top-level mapping
        ``what`` (``not_measured``, ``not_comparable``, ``sampling_interval``), or None."""
        name, _, key = ref.partition(":")
        data = self._load(name)
        found = data.get(what) if isinstance(data, dict) else None
        return found.get(key) if isinstance(found, dict) else None

    def missing_reason(self, ref):
        """Why the value at ``ref`` is null: the file's ``not_measured`` entry for the key, or a
        plain statement that the run recorded no value."""
        name, _, key = ref.partition(":")
        return str(self.statement(ref, "not_measured") or f"{name} records no value for {key}")

    def diverged(self, refs):
        """The JSON files among ``refs`` whose training diverged (top-level ``diverged``)."""
        names = sorted({r.partition(":")[0] for r in refs if r.partition(":")[0].endswith(".json")})
        return [n for n in names if isinstance(self._load(n), dict) and self._load(n).get("diverged")]

    def device(self, refs):
        """The device of the first referenced metrics file that records one."""
        for ref in refs:
            name = ref.partition(":")[0]
            data = self._load(name) if name.endswith(".json") else None
            if isinstance(data, dict) and isinstance(data.get("device"), dict):
                d = data["device"]
                return f"{d['backend']}/{d['accelerator']} ({d.get('cpus')} cpus, {d.get('host')})"
        return ""


def _number(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int,)):
        return f"{value:,}"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"  # a count summed up over seeds is a float
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def is_aggregate(value):
    """A measure summed up over seed replicates (audiorepro.stats.summary)."""
    return isinstance(value, dict) and {"mean", "low", "high", "values"} <= set(value)


def is_missing(value):
    """A measure the run could not take: None, a float NaN, or an aggregate without a mean."""
    if is_aggregate(value):
        return value["mean"] is None
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pair(interval):
    """A stated sampling interval as (low, high), or None unless two finite numbers that are
    apart (a zero-width interval decides nothing)."""
    if not isinstance(interval, (list, tuple)) or len(interval) != 2:
        return None
    low, high = (float(x) if isinstance(x, (int, float)) else math.nan for x in interval)
    return (low, high) if math.isfinite(low) and math.isfinite(high) and low < high else None


def _count(count):
    """A sample count: a number, or the mean count of an aggregate; None if there is none."""
    if is_aggregate(count):
        count = count["mean"]
    return None if count is None or not math.isfinite(count) else int(round(count))


def _measured(value, count=None, sampling=None, seeds=None, seed_free=False):
    """(span, text) of one present measure: span is (low, mean, high), the interval it is
    judged on, or None where it has none (one seed without a sampling interval); text is the
    number as shown, with what its interval is. ``count``: its sample count, making it a
    proportion with a Wilson interval; ``sampling``: a plain number's stated sampling interval;
    ``seeds``: how many seeds a plain number rests on; ``seed_free``: no seed moves it."""
    n = _count(count) if count is not None else None
    if is_aggregate(value):
        mean, k, values = value["mean"], value["n"], value["values"]
        if n == 0:
            return None, f"{_number(mean)} (no samples)"
        if n is not None:
            counts = count["values"] if is_aggregate(count) else [n] * len(values)
            finite = [(v, c) for v, c in zip(values, counts) if v is not None]
            low, high = proportion_interval(*zip(*finite))
            if k < 2:
                return (low, mean, high), (f"{_number(mean)} (1 seed; Wilson 95 % CI "
                                           f"{low:.3f}-{high:.3f}, n = {n:,})")
            return (low, mean, high), (f"{_number(mean)} (mean of {k} seeds; 95 % CI over "
                                       f"seeds and samples {low:.3f}-{high:.3f}, n = {n:,} per "
                                       "seed)")
        if k >= 2:
            return (value["low"], mean, value["high"]), _shown(value)
        if seed_free:
            return (mean, mean, mean), _shown(value)
        one = next((i for i, v in enumerate(values) if v is not None), 0)
        stated = _pair((value.get("sampling") or [None] * len(values))[one])
        if stated:
            return (stated[0], mean, stated[1]), (
                f"{_number(mean)} (1 seed; 95 % sampling interval {stated[0]:.4g}-{stated[1]:.4g})")
        return None, _shown(value)
    if n == 0:
        return None, f"{_number(value)} (no samples)"
    if n is not None:
        low, high = wilson(round(value * n), n)
        return (low, value, high), f"{_number(value)} (95 % CI {low:.3f}-{high:.3f}, n = {n:,})"
    if seeds is not None and seeds < 2 and not seed_free:
        stated = _pair(sampling)
        if stated:
            return (stated[0], value, stated[1]), (
                f"{_number(value)} (1 seed; 95 % sampling interval {stated[0]:.4g}-{stated[1]:.4g})")
        return None, f"{_number(value)} (1 seed)"
    return (value, value, value), str(_number(value))


def _shown(value):
    if not is_aggregate(value):
        return str(_number(value))
    if value["n"] < 2:
        return f"{_number(value['mean'])} (1 seed)"
    if value["sd"] == 0:
        return f"{_number(value['mean'])} (every one of {value['n']} seeds)"
    seeds = ", ".join(str(_number(v)) for v in value["values"])
    return (f"{_number(value['mean'])} (mean of {value['n']} seeds, 95 % CI "
            f"{value['low']:.4g}-{value['high']:.4g}; seeds {seeds})")


def _labelled(texts, labels):
    """The shown numbers joined, each after its label where there are labels."""
    if labels:
        texts = [f"{label}: {text}" for label, text in zip(labels, texts)]
    return " / ".join(texts)


def default_labels(refs):
    """Labels of several numbers without ``labels:``: each measure's key (without the
    replicates' ``metrics.``), led by its file's variant where two keys are the same."""
    keys = [r.partition(":")[2].removeprefix("metrics.") for r in refs]
    if len(set(keys)) == len(keys):
        return keys
    files = [r.partition(":")[0].removeprefix("models/").removesuffix("/replicates.json")
             .removesuffix(".json") for r in refs]
    return [f"{f} {k}" for f, k in zip(files, keys)]


def _bound(low, high, above=None, below=None):
    """The verdict of an interval [low, high] against a lower bound ``above`` (holds: it lies
    at or above) or an upper bound ``below``: holds, differs (wholly on the wrong side), or
    inconclusive (it spans the bound)."""
    if above is not None:
        return HOLDS if low >= above else DIFFERS if high < above else INCONCLUSIVE
    return HOLDS if high <= below else DIFFERS if low > below else INCONCLUSIVE


def _above(a, b, strict=True):
    """Is interval ``a`` above interval ``b``? holds / differs (at or below it) / inconclusive."""
    (a_low, a_mean, a_high), (b_low, b_mean, b_high) = a, b
    if a_low == a_high and b_low == b_high:  # two numbers: the plain comparison
        return HOLDS if (a_mean > b_mean if strict else a_mean >= b_mean) else DIFFERS
    if a_low > b_high or (not strict and a_low >= b_high):
        return HOLDS
    return DIFFERS if a_high < b_low else INCONCLUSIVE


def _all(verdicts):
    """Every part must hold: differs if one differs, else inconclusive if one is."""
    verdicts = list(verdicts)
    return DIFFERS if DIFFERS in verdicts else INCONCLUSIVE if INCONCLUSIVE in verdicts else HOLDS


def _near_original(rule, low, high):
    """The part of a rule that tests the original's own number (``original_value`` within
    ``tolerance``): holds when the interval overlaps [value - tolerance, value + tolerance]."""
    if "original_value" not in rule:
        return HOLDS
    value, tolerance = rule["original_value"], rule["tolerance"]
    return HOLDS if low <= value + tolerance and high >= value - tolerance else DIFFERS


def _range(rule, spans, values):
    low, _, high = spans[0]
    return _all([_bound(low, high, above=rule["low"]), _bound(low, high, below=rule["high"])])


def _close(rule, spans, values):
    """The first two measures differ by at most the tolerance."""
    (a_low, a, a_high), (b_low, b, b_high) = spans[0], spans[1]
    tolerance = rule["tolerance"]
    if abs(a - b) <= tolerance and (a_high - b_low) <= tolerance and (b_high - a_low) <= tolerance:
        return HOLDS
    if abs(a - b) > tolerance and (a_low - b_high > tolerance or b_low - a_high > tolerance):
        return DIFFERS
    if a_low != a_high or b_low != b_high:
        return INCONCLUSIVE
    return HOLDS if abs(a - b) <= tolerance else DIFFERS


def _above_chance(rule, spans, values):
    """The proportion's interval (Wilson, or over seeds) above chance; spanning it is undecided
    over seeds (as every bound), and differs on one seed's Wilson interval."""
    low, _, high = spans[0]
    if is_aggregate(values[0]):
        return _bound(low, high, above=rule["chance"])
    return HOLDS if low > rule["chance"] else DIFFERS


def _at_chance(rule, spans, values):
    low, _, high = spans[0]
    return HOLDS if low <= rule["chance"] <= high else DIFFERS


def _equals(rule, spans, values):
    return HOLDS if spans[0][1] == rule["value"] and spans[0][0] == spans[0][2] else DIFFERS


def _equals_words(rule):
    return f"= {rule['value']:,}" if isinstance(rule["value"], int) else f"= {rule['value']}"


class Kind(NamedTuple):
    """A rule kind of claims.yaml: how many of the shown measures its verdict needs (None: all),
    the verdict from their (low, mean, high) spans (None: decided before any interval, see
    :func:`judge`) and the rule in words."""
    measures: int | None
    judge: Callable | None
    describe: Callable


KINDS = {
    "range": Kind(1, _range, lambda r: f"within [{r['low']}, {r['high']}]"),
    "at_least": Kind(1, lambda r, s, v: _bound(s[0][0], s[0][2], above=r["value"]),
                     lambda r: f">= {r['value']}"),
    "at_most": Kind(1, lambda r, s, v: _bound(s[0][0], s[0][2], below=r["value"]),
                    lambda r: f"<= {r['value']}"),
    "equals": Kind(1, _equals, _equals_words),
    "close": Kind(2, _close, lambda r: f"the two differ by at most {r['tolerance']:g}"),
    "greater": Kind(None, lambda r, s, v: _all(_above(s[0], other) for other in s[1:]),
                    lambda r: "first measure above the others"),
    "ordering": Kind(None, lambda r, s, v: _all(_above(b, a, r.get("strict", True))
                                                for a, b in zip(s, s[1:])),
                     lambda r: "increasing" + ("" if r.get("strict", True) else " (or equal)")),
    "above_chance": Kind(1, _above_chance,
                         lambda r: f"95 % interval above chance ({r['chance']:.3g})"),
    "at_chance": Kind(1, _at_chance,
                      lambda r: f"95 % interval contains chance ({r['chance']:.3g})"),
    # decided without intervals (judge): the study's own verdict, a figure, not run, not comparable
    "judged": Kind(None, None, lambda r: r["text"]),
    "figure": Kind(None, None, lambda r: f"look at {r['figure']}"),
    "not_run": Kind(None, None, lambda r: "not run"),
    "not_comparable": Kind(None, None, lambda r: "not comparable at this size"),
}


def judge(rule, values, counts=None, sampling=None, seeds=None, labels=None):
    """(verdict, text of ours) for the rule applied to the measured ``values`` (a list of
    numbers, or aggregates over seed replicates whose 95 % interval over seeds decides: a bound
    inside the interval gives "inconclusive"). With one seed the seed's sampling interval
    decides (see :func:`_measured`: ``counts``, ``sampling`` and ``seeds`` per measure), and
    without one the verdict is "inconclusive: one seed". A rule with ``original_value`` and
    ``tolerance`` also needs the interval to reach the original's number within the tolerance.
    ``labels`` name the shown numbers. Values must be present (see :func:`is_missing`):
    :func:`study_rows` deals with the others."""
    kind = rule["kind"]
    if kind == "judged":  # decided by the study's own evaluation: [verdict, value, low, high]
        verdict, value, low, high = values
        mapped = {"supported": HOLDS, "contradicted": DIFFERS, "inconclusive": INCONCLUSIVE,
                  ONE_SEED: ONE_SEED}.get(verdict, NOT_RUN)
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        text = ("-" if missing else f"{value:.3f}" if low is None or low == high
                else f"{value:.3f} (95 % CI {low:.3f}-{high:.3f})")
        return mapped, _labelled([text], labels)
    if kind == "not_run":
        return NOT_RUN, rule["reason"]
    counts = list(counts or [None] * len(values))
    if kind in ("above_chance", "at_chance"):  # the second measure is the first one's count
        values, counts = values[:1], [values[1]]
    sampling = list(sampling or [None] * len(values))
    seeds = list(seeds if isinstance(seeds, list) else [seeds] * len(values))
    seed_free = kind == "equals" or rule.get("depends_on_seed") is False
    measured = [_measured(v, c, i, n, seed_free)
                for v, c, i, n in zip(values, counts, sampling, seeds)]
    spans, texts = [m[0] for m in measured], [m[1] for m in measured]
    if kind in ("above_chance", "at_chance"):
        texts = [f"{texts[0][:-1]}; chance {rule['chance']:.3g})"]
    shown = _labelled(texts, labels)
    if kind == "figure":
        return SEE_FIGURE, shown or rule["figure"]
    if kind == "not_comparable":
        return f"{NOT_COMPARABLE}: {rule['reason']}", shown or "-"
    if kind not in KINDS or KINDS[kind].judge is None:
        raise InputError("claims", f"unknown rule kind {kind!r}")
    needed = spans[:KINDS[kind].measures] if KINDS[kind].measures else spans
    if any(span is None for span in needed):
        zero = any(c is not None and _count(c) == 0 for c in counts)
        return (NO_SAMPLES if zero else ONE_SEED), shown
    verdict = KINDS[kind].judge(rule, spans, values)
    if "original_value" in rule and verdict != DIFFERS:
        verdict = _all([verdict, _near_original(rule, spans[0][0], spans[0][2])])
    return verdict, shown


def describe(rule):
    """The rule in words, for the table."""
    original = (f"; and within {rule['tolerance']:g} of the original {rule['original_value']:g}"
                if "original_value" in rule else "")
    return (KINDS[rule["kind"]].describe(rule) + original
            + (" [real data only]" if rule.get("real_data") else ""))


def load_claims(path):
    """The claims of one study, checked: every row has id, claim, source, original, rule."""
    path = Path(path)
    try:
        rows = yaml.safe_load(path.read_text()) or []
    except yaml.YAMLError as err:
        raise InputError(path, f"is not valid YAML ({' '.join(str(err).split())})") from None
    for row in rows:
        missing = [k for k in ("id", "claim", "source", "original", "rule") if k not in row]
        if missing:
            raise InputError(path, f"claim {row.get('id', '?')} lacks {', '.join(missing)}")
        refs = row.get("measure", [])
        refs = [refs] if isinstance(refs, str) else refs
        one = row["rule"]["kind"] in ("above_chance", "at_chance", "judged")
        labels, wanted = row.get("labels"), 1 if one else len(refs)
        if labels is not None and (not isinstance(labels, list) or len(labels) != wanted):
            raise InputError(path, f"claim {row['id']}: labels must list {wanted} "
                                   f"entr{'y' if wanted == 1 else 'ies'}, one per number shown")
        for field in ("counts", "seeds"):  # counts: a list; seeds: one reference or a list
            given = row.get(field)
            if (field == "counts" and given is not None and not isinstance(given, list)) or (
                    isinstance(given, list) and len(given) != len(refs)):
                raise InputError(path, f"claim {row['id']}: {field} must list {len(refs)} "
                                       f"entr{'y' if len(refs) == 1 else 'ies'}, one per measure")
        seeds = row.get("seeds")
        files = {r.partition(":")[0] for r in refs}
        extra = [r for r in (row.get("counts") or []) + (seeds if isinstance(seeds, list)
                                                          else [seeds])
                 if r is not None and r.partition(":")[0] not in files]
        if extra:
            raise InputError(path, f"claim {row['id']}: {extra[0]} reads a file that none of "
                                   "its measures reads")
    return rows


def study_rows(study, claims, results, synthetic, configuration, available=None, annotated=True):
    """One row per claim of a built study. ``available`` (file names under the study's results)
    are the files this configuration made: a claim needing another one is "not run".
    ``annotated``: the run has the annotations that claims with ``needs: annotations`` read."""
    rows = []
    for c in claims:
        rule, refs = c["rule"], c.get("measure", [])
        refs = [refs] if isinstance(refs, str) else refs
        missing = sorted({r.partition(":")[0] for r in refs} - set(available)) if (
            available is not None and rule["kind"] != "not_run") else []
        several = len(refs) > 1 and rule["kind"] not in ("above_chance", "at_chance", "judged")
        labels = c.get("labels") or (default_labels(refs) if several else None)
        if missing:
            verdict, ours = NOT_RUN, c.get("when_missing") or (
                f"needs {', '.join(missing)}: not in this configuration")
        elif rule["kind"] == "not_run":
            verdict, ours = judge(rule, [])
        elif c.get("needs") == "annotations" and not annotated:
            verdict, ours = NOT_ANNOTATED, "the recordings of this run carry no annotations"
        else:
            values = [results.value(r) for r in refs]
            absent = [r for r, v in zip(refs, values) if is_missing(v) and rule["kind"] != "judged"]
            void = [(r, results.statement(r, "not_comparable")) for r in refs]
            void = [why for _, why in void if why]
            if rule["kind"] == "not_comparable":
                void = [rule["reason"]]
            diverged = results.diverged(refs)
            if void or absent:
                plain = labels if labels and len(labels) == len(refs) else (
                    default_labels(refs) if len(refs) > 1 else None)
                ours = _labelled(["-" if is_missing(v) else _shown(v) for v in values],
                                 plain) or "-"
                verdict = (f"{NOT_COMPARABLE}: {void[0]}" if void
                           else f"{NOT_MEASURED}: {results.missing_reason(absent[0])}")
            else:
                counts = [None if r is None else results.value(r) for r in c.get("counts") or
                          [None] * len(refs)]
                seeds = c.get("seeds")
                seeds = [_seed_count(results, r) for r in seeds] if isinstance(seeds, list) else (
                    _seed_count(results, seeds))
                sampling = [results.statement(r, "sampling_interval") for r in refs]
                verdict, ours = judge(rule, values, counts, sampling, seeds, labels)
            if diverged and verdict in (HOLDS, DIFFERS, SEE_FIGURE):
                verdict = DIVERGED
                ours += f" (training diverged: {', '.join(diverged)})"
        if (rule.get("real_data") and synthetic
                and verdict.partition(":")[0] in (HOLDS, DIFFERS, INCONCLUSIVE)):
            verdict = NOT_TESTABLE
        rows.append({"study": study, "id": c["id"], "claim": c["claim"], "source": c["source"],
                     "original": c["original"], "measure": c.get("measure_text", ", ".join(refs)),
                     "ours": ours, "verdict": verdict, "rule": describe(rule),
                     "configuration": configuration,
                     "device": results.device([r for r in refs if r.partition(":")[0] not in missing]),
                     "caveats": ""})
    return rows


def _seed_count(results, ref):
    """How many seeds a claim's plain numbers rest on: the length of the list (or the count)
    at ``ref``; None without a reference."""
    if ref is None:
        return None
    seeds = results.value(ref)
    return len(seeds) if isinstance(seeds, list) else int(seeds)


def placeholder_rows(study, claims, verdict):
    return [{"study": study, "id": c["id"], "claim": c["claim"], "source": c["source"],
             "original": c["original"], "measure": "", "ours": "", "verdict": verdict,
             "rule": describe(c["rule"]), "configuration": "", "device": "", "caveats": ""}
            for c in claims]


def coverage_caveats(paths):
    """The caveat every claim row of a study carries: the warnings of its coverage files
    (``{"kept": k, "total": n, "what": ..., "warnings": [sentences]}``, written where the
    recordings are converted or annotations read), joined; "" when they hold none."""
    warnings = []
    for path in map(Path, paths):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise InputError(path, f"is not a readable coverage file ({type(err).__name__})") from None
        found = document.get("warnings", []) if isinstance(document, dict) else None
        if not isinstance(found, list) or not all(isinstance(w, str) for w in found):
            raise InputError(path, "is not a coverage file: warnings must be a list of sentences")
        warnings += found
    return " ".join(" ".join(w.split()) for w in warnings)
