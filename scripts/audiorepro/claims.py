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
measures are its verdict, value and interval), ``not_run`` (``reason``). A claim with ``real_data: true`` is about numbers of the
original data set: on embedded (synthetic) data its verdict is "not testable on embedded data",
though our number is shown. A claim with ``needs: annotations`` reads whistle or speech
annotations: on real recordings without annotation tables its verdict is "not testable: no
annotations". A measure that is null (or NaN) gives "not measured: <why>", the reason taken from
the results file's top-level ``not_measured`` mapping (dotted key: reason) where it gives one. A
measure read from a results file that says ``"diverged": true`` gives "training diverged",
never "holds". Rules are written beside the claims and never tuned to the results.
"""

import json
import math
from pathlib import Path

import pandas as pd
import yaml

from .errors import InputError
from .replicates import proportion_interval, wilson

HOLDS, DIFFERS = "holds", "differs"
NOT_TESTABLE = "not testable on embedded data"
NOT_RUN, SEE_FIGURE, NOT_BUILT = "not run", "see figure", "study not built yet"
NOT_IN_CONFIG = "not in this configuration"
NOT_ANNOTATED = "not testable: no annotations"
NOT_MEASURED = "not measured"
INCONCLUSIVE = "inconclusive"
DIVERGED = "training diverged"
COLUMNS = ["study", "id", "claim", "source", "original", "measure", "ours", "verdict", "rule",
           "configuration", "device", "commit", "code", "data"]
# what each row rests on (audiorepro.provenance): `make compare` sets two tables side by side
PROVENANCE = ["commit", "code", "data"]


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

    def missing_reason(self, ref):
        """Why the value at ``ref`` is null: the file's ``not_measured`` entry for the key, or a
        plain statement that the run recorded no value."""
        name, _, key = ref.partition(":")
        data = self._load(name)
        reasons = data.get("not_measured") if isinstance(data, dict) else None
        if isinstance(reasons, dict) and reasons.get(key):
            return str(reasons[key])
        return f"{name} records no value for {key}"

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
    """A measure summed up over seed replicates (audiorepro.replicates.summary)."""
    return isinstance(value, dict) and {"mean", "low", "high", "values"} <= set(value)


def is_missing(value):
    """A measure the run could not take: None, a float NaN, or an aggregate without a mean."""
    if is_aggregate(value):
        return value["mean"] is None
    return value is None or (isinstance(value, float) and math.isnan(value))


def _span(value):
    """(low, mean, high) of a measure: an aggregate's interval over seeds, a number's point."""
    if is_aggregate(value):
        return value["low"], value["mean"], value["high"]
    return value, value, value


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


def judge(rule, values):
    """(verdict, text of ours) for the rule applied to the measured ``values`` (a list of
    numbers, or aggregates over seed replicates whose 95 % interval over seeds decides: a bound
    inside the interval gives "inconclusive"). A rule with ``original_value`` and ``tolerance``
    also needs the interval to reach the original's number within the tolerance. Values must be
    present (see :func:`is_missing`): :func:`study_rows` deals with the others."""
    kind = rule["kind"]
    first = values[0] if values else None
    shown = " / ".join(_shown(v) for v in values)
    spans = [_span(v) for v in values] if kind not in ("judged", "figure", "not_run") else []
    if kind == "range":
        low, _, high = spans[0]
        verdict = _all([_bound(low, high, above=rule["low"]), _bound(low, high, below=rule["high"])])
    elif kind == "at_least":
        verdict = _bound(spans[0][0], spans[0][2], above=rule["value"])
    elif kind == "at_most":
        verdict = _bound(spans[0][0], spans[0][2], below=rule["value"])
    elif kind == "close":  # the first two measures differ by at most the tolerance
        (a_low, a, a_high), (b_low, b, b_high) = spans[0], spans[1]
        tolerance = rule["tolerance"]
        if abs(a - b) <= tolerance and (a_high - b_low) <= tolerance and (b_high - a_low) <= tolerance:
            verdict = HOLDS
        elif abs(a - b) > tolerance and (a_low - b_high > tolerance or b_low - a_high > tolerance):
            verdict = DIFFERS
        else:
            verdict = INCONCLUSIVE if a_low != a_high or b_low != b_high else (
                HOLDS if abs(a - b) <= tolerance else DIFFERS)
    elif kind == "equals":
        verdict = HOLDS if spans[0][1] == rule["value"] and spans[0][0] == spans[0][2] else DIFFERS
    elif kind == "greater":
        verdict = _all(_above(spans[0], other) for other in spans[1:])
    elif kind == "ordering":
        verdict = _all(_above(b, a, rule.get("strict", True)) for a, b in zip(spans, spans[1:]))
    elif kind in ("above_chance", "at_chance"):
        proportion, n = first, values[1]
        if is_aggregate(proportion):
            counts = n["values"] if is_aggregate(n) else [n] * len(proportion["values"])
            low, high = proportion_interval(proportion["values"], counts)
            per_seed = int(round(sum(counts) / len(counts)))
            what = (f"{_number(proportion['mean'])} (mean of {proportion['n']} seeds; 95 % CI "
                    f"over seeds and samples {low:.3f}-{high:.3f}, n = {per_seed:,} per seed")
        else:
            n = int(n)
            low, high = wilson(round(proportion * n), n) if n > 0 else (math.nan, math.nan)
            what = f"{_number(proportion)} (95 % CI {low:.3f}-{high:.3f}, n = {n:,}"
        chance = rule["chance"]
        shown = f"{what}; chance {chance:.3g})"
        if kind == "at_chance":
            verdict = HOLDS if low <= chance <= high else DIFFERS
        elif is_aggregate(proportion):  # over seeds, as every bound: spanning it is undecided
            verdict = _bound(low, high, above=chance)
        else:
            verdict = HOLDS if low > chance else DIFFERS
        spans = [(low, None, high)]
    elif kind == "judged":  # decided by the study's own evaluation: [verdict, value, low, high]
        verdict, value, low, high = values
        mapped = {"supported": HOLDS, "contradicted": DIFFERS,
                  "inconclusive": INCONCLUSIVE}.get(verdict, NOT_RUN)
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        text = "-" if missing else f"{value:.3f} (95 % CI {low:.3f}-{high:.3f})"
        return mapped, text
    elif kind == "figure":
        return SEE_FIGURE, shown or rule["figure"]
    elif kind == "not_run":
        return NOT_RUN, rule["reason"]
    else:
        raise InputError("claims", f"unknown rule kind {kind!r}")
    if "original_value" in rule and verdict != DIFFERS:
        verdict = _all([verdict, _near_original(rule, spans[0][0], spans[0][2])])
    return verdict, shown


def describe(rule):
    """The rule in words, for the table."""
    kind = rule["kind"]
    words = {
        "range": lambda r: f"within [{r['low']}, {r['high']}]",
        "at_least": lambda r: f">= {r['value']}",
        "at_most": lambda r: f"<= {r['value']}",
        "equals": lambda r: f"= {r['value']:,}" if isinstance(r["value"], int) else f"= {r['value']}",
        "close": lambda r: f"the two differ by at most {r['tolerance']:g}",
        "greater": lambda r: "first measure above the others",
        "ordering": lambda r: "increasing" + ("" if r.get("strict", True) else " (or equal)"),
        "above_chance": lambda r: f"95 % interval above chance ({r['chance']:.3g})",
        "at_chance": lambda r: f"95 % interval contains chance ({r['chance']:.3g})",
        "figure": lambda r: f"look at {r['figure']}",
        "judged": lambda r: r["text"],
        "not_run": lambda r: "not run",
    }
    original = (f"; and within {rule['tolerance']:g} of the original {rule['original_value']:g}"
                if "original_value" in rule else "")
    return words[kind](rule) + original + (" [real data only]" if rule.get("real_data") else "")


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
            diverged = results.diverged(refs)
            if absent:
                verdict = f"{NOT_MEASURED}: {results.missing_reason(absent[0])}"
                ours = " / ".join("-" if is_missing(v) else str(_number(v)) for v in values)
            else:
                verdict, ours = judge(rule, values)
            if diverged and verdict in (HOLDS, DIFFERS, SEE_FIGURE):
                verdict = DIVERGED
                ours += f" (training diverged: {', '.join(diverged)})"
        if rule.get("real_data") and synthetic and verdict in (HOLDS, DIFFERS, INCONCLUSIVE):
            verdict = NOT_TESTABLE
        rows.append({"study": study, "id": c["id"], "claim": c["claim"], "source": c["source"],
                     "original": c["original"], "measure": c.get("measure_text", ", ".join(refs)),
                     "ours": ours, "verdict": verdict, "rule": describe(rule),
                     "configuration": configuration,
                     "device": results.device([r for r in refs if r.partition(":")[0] not in missing])})
    return rows


def placeholder_rows(study, claims, verdict):
    return [{"study": study, "id": c["id"], "claim": c["claim"], "source": c["source"],
             "original": c["original"], "measure": "", "ours": "", "verdict": verdict,
             "rule": describe(c["rule"]), "configuration": "", "device": ""} for c in claims]


def to_markdown(table):
    """The table as Markdown, one line per claim (| in cells escaped)."""
    shown = ["study", "id", "claim", "original", "ours", "verdict", "rule"]
    lines = ["| " + " | ".join(shown) + " |", "|" + " --- |" * len(shown)]
    for _, row in table.iterrows():
        cells = [str(row[c]).replace("|", "\\|").replace("\n", " ") for c in shown]
        lines.append("| " + " | ".join(cells) + " |")
    counts = table.verdict.str.partition(":")[0].value_counts()
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    return f"{len(table)} claims: {summary}.\n\n" + "\n".join(lines) + "\n"


def read_table(path):
    """A claims table written by the claims rule: ``path`` is the CSV or the results folder
    holding ``claims.csv``; InputError naming it when it is missing or not such a table."""
    path = Path(path)
    path = path / "claims.csv" if path.is_dir() else path
    if not path.is_file():
        raise InputError(path, "is missing: give a results folder (with claims.csv) or the CSV")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(path, f"is not a readable CSV ({' '.join(str(err).split())})") from None
    missing = [c for c in ("study", "id", "verdict", "ours") if c not in table.columns]
    if missing:
        raise InputError(path, f"is not a claims table: it lacks {', '.join(missing)}")
    for column in PROVENANCE:  # tables written before these columns existed
        if column not in table.columns:
            table[column] = ""
    return table.set_index(["study", "id"])


def compare(a, b):
    """The claims whose verdict or number changed between two tables (:func:`read_table`), and
    per study what their rows rest on where it changed (commit, code, data): a DataFrame with
    study, id, what (verdict, ours, or a provenance column), a, b; one row per change."""
    changes = []
    for key in sorted(set(a.index) | set(b.index)):
        if key not in a.index or key not in b.index:
            changes.append((*key, "row", "present" if key in a.index else "absent",
                            "present" if key in b.index else "absent"))
            continue
        for what in ("verdict", "ours"):
            if a.loc[key, what] != b.loc[key, what]:
                changes.append((*key, what, a.loc[key, what], b.loc[key, what]))
    for study in sorted(set(a.index.get_level_values(0)) & set(b.index.get_level_values(0))):
        for what in PROVENANCE:
            before, after = (sorted(set(t.loc[study][what])) for t in (a, b))
            if before != after:
                changes.append((study, "*", what, ", ".join(before), ", ".join(after)))
    return pd.DataFrame(changes, columns=["study", "id", "what", "a", "b"])
