"""The claims table: verdicts from declared rules, on metrics that should pass and fail."""

import json

import pandas as pd
import pytest

from audiorepro import claims
from audiorepro.errors import InputError


@pytest.fixture
def results(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "metrics.json").write_text(json.dumps({
        "accuracy": 0.8, "n": 400, "low": 0.35, "count": 3951, "series": [0.5, 0.6, 0.7],
        "nested": {"value": 2.5}, "device": {"backend": "tensorflow", "accelerator": "cpu",
                                             "cpus": 2, "host": "h"}}))
    pd.DataFrame({"split": ["train", "validation"], "0": [10, 5], "1": [3, 1]}).to_csv(
        tmp_path / "counts.csv", index=False)
    return claims.Results(tmp_path)


def claim(rule, measure, real_data=False):
    return {"id": "X1", "claim": "c", "source": "text", "original": "o", "measure": measure,
            "rule": {**rule, "real_data": real_data}}


M = "models/metrics.json"


@pytest.mark.parametrize("rule, measure, verdict", [
    ({"kind": "range", "low": 0.7, "high": 0.9}, f"{M}:accuracy", "holds"),
    ({"kind": "range", "low": 0.85, "high": 0.9}, f"{M}:accuracy", "differs"),
    ({"kind": "at_least", "value": 0.8}, f"{M}:accuracy", "holds"),
    ({"kind": "at_most", "value": 0.5}, f"{M}:accuracy", "differs"),
    ({"kind": "equals", "value": 3951}, f"{M}:count", "holds"),
    ({"kind": "equals", "value": 3950}, f"{M}:count", "differs"),
    ({"kind": "greater"}, [f"{M}:accuracy", f"{M}:low"], "holds"),
    ({"kind": "greater"}, [f"{M}:low", f"{M}:accuracy"], "differs"),
    ({"kind": "ordering"}, [f"{M}:series.0", f"{M}:series.1", f"{M}:series.-1"], "holds"),
    ({"kind": "ordering"}, [f"{M}:series.2", f"{M}:series.0"], "differs"),
    ({"kind": "above_chance", "chance": 0.5}, [f"{M}:accuracy", f"{M}:n"], "holds"),
    ({"kind": "above_chance", "chance": 0.79}, [f"{M}:accuracy", f"{M}:n"], "differs"),
    ({"kind": "at_chance", "chance": 0.79}, [f"{M}:accuracy", f"{M}:n"], "holds"),
    ({"kind": "at_chance", "chance": 0.5}, [f"{M}:accuracy", f"{M}:n"], "differs"),
    ({"kind": "figure", "figure": "a.png"}, f"{M}:nested.value", "see figure"),
    ({"kind": "not_run", "reason": "costly"}, [], "not run"),
    ({"kind": "at_least", "value": 8}, "counts.csv:train.0", "holds"),
])
def test_rules_give_the_verdict_their_numbers_call_for(results, rule, measure, verdict):
    row, = claims.study_rows("s", [claim(rule, measure)], results, False, "synthetic")
    assert row["verdict"] == verdict
    assert row["device"] == ("" if "csv" in str(measure) or not measure else "tensorflow/cpu (2 cpus, h)")


def test_real_data_claims_are_not_testable_on_embedded_data(results):
    rule = {"kind": "at_least", "value": 0.95}
    synthetic, = claims.study_rows("s", [claim(rule, f"{M}:accuracy", True)], results, True, "")
    real, = claims.study_rows("s", [claim(rule, f"{M}:accuracy", True)], results, False, "")
    assert synthetic["verdict"] == "not testable on embedded data" and synthetic["ours"] == "0.8"
    assert real["verdict"] == "differs"


def test_the_interval_is_wilson_and_shown(results):
    rule = {"kind": "above_chance", "chance": 0.5}
    row, = claims.study_rows("s", [claim(rule, [f"{M}:accuracy", f"{M}:n"])], results, False, "")
    low, high = claims.wilson(320, 400)
    assert row["ours"] == f"0.8 (95 % CI {low:.3f}-{high:.3f}, n = 400; chance 0.5)"
    assert 0.757 < low < 0.76 and 0.836 < high < 0.84


def test_a_missing_measure_names_the_file_and_key(results, tmp_path):
    with pytest.raises(InputError, match="has no 'nope'"):
        claims.study_rows("s", [claim({"kind": "at_least", "value": 1}, f"{M}:nope")], results,
                          False, "")
    with pytest.raises(InputError, match="missing"):
        claims.study_rows("s", [claim({"kind": "at_least", "value": 1}, "other.json:x")],
                          results, False, "")


def test_every_study_declares_every_claim_of_the_design_with_a_known_rule():
    from pathlib import Path

    root = Path(claims.__file__).parent
    ids = {p.parent.name: [c["id"] for c in claims.load_claims(p)]
           for p in root.glob("*/claims.yaml")}
    assert ids == {"catsdogs": [f"C{i}" for i in range(1, 10)],
                   "whales": [f"W{i}" for i in range(1, 8)],
                   "orcas": [f"O{i}" for i in range(1, 7)],
                   "sorting": [f"S{i}" for i in range(1, 8)],
                   "continuation": [f"N{i}" for i in range(1, 8)]}
    for p in root.glob("*/claims.yaml"):
        for c in claims.load_claims(p):
            assert claims.describe(c["rule"])


def test_a_broken_claims_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "claims.yaml"
    bad.write_text("- id: X1\n  claim: a: b\n")
    with pytest.raises(InputError, match="is not valid YAML"):
        claims.load_claims(bad)
    bad.write_text("- id: X1\n  claim: c\n")
    with pytest.raises(InputError, match="X1 lacks source, original, rule"):
        claims.load_claims(bad)


def test_a_claim_needing_a_run_this_configuration_does_not_make_is_not_run(results):
    rule = {"kind": "at_least", "value": 0.5}
    row, = claims.study_rows("s", [claim(rule, "models/other.json:accuracy")], results, False, "",
                             available={M})
    assert row["verdict"] == "not run" and "needs models/other.json" in row["ours"]


@pytest.fixture
def gaps(tmp_path):
    """Results with null and NaN measures, one with a recorded reason, and a diverged run."""
    (tmp_path / "a.json").write_text(json.dumps({
        "drift": {"second": None}, "r": None, "ok": 0.9,
        "not_measured": {"drift.second": "no drift within the 30 s generated"}}))
    (tmp_path / "b.json").write_text('{"value": NaN, "other": 1.0}')
    (tmp_path / "c.json").write_text(json.dumps({"accuracy": 0.99, "diverged": True}))
    return claims.Results(tmp_path)


@pytest.mark.parametrize("rule", [{"kind": "range", "low": 30, "high": 70},
                                  {"kind": "at_least", "value": 1}, {"kind": "greater"},
                                  {"kind": "ordering"}, {"kind": "equals", "value": 3}])
def test_a_null_measure_is_not_measured_with_its_reason_never_a_crash(gaps, rule):
    row, = claims.study_rows("s", [claim(rule, ["a.json:drift.second", "a.json:ok"])], gaps,
                             False, "")
    assert row["verdict"] == "not measured: no drift within the 30 s generated"
    assert row["ours"] == "- / 0.9"


def test_a_nan_measure_without_a_reason_says_which_value_is_absent(gaps):
    row, = claims.study_rows("s", [claim({"kind": "at_most", "value": 2}, "b.json:value")], gaps,
                             False, "")
    assert row["verdict"] == "not measured: b.json records no value for value"
    row, = claims.study_rows("s", [claim({"kind": "greater"}, ["a.json:ok", "a.json:r"])],
                             gaps, False, "")
    assert row["verdict"] == "not measured: a.json records no value for r"


def test_a_diverged_training_never_holds(gaps):
    row, = claims.study_rows("s", [claim({"kind": "at_least", "value": 0.5}, "c.json:accuracy")],
                             gaps, False, "")
    assert row["verdict"] == "training diverged" and "c.json" in row["ours"]


def test_claims_needing_annotations_are_not_testable_without_them(results):
    row = claim({"kind": "at_least", "value": 0.5}, f"{M}:accuracy")
    row["needs"] = "annotations"
    without, = claims.study_rows("s", [row], results, False, "", annotated=False)
    assert without["verdict"] == "not testable: no annotations"
    with_them, = claims.study_rows("s", [row], results, False, "", annotated=True)
    assert with_them["verdict"] == "holds"


def test_the_summary_counts_verdicts_by_kind(gaps):
    rows = claims.study_rows("s", [claim({"kind": "at_least", "value": 1}, "a.json:r"),
                                   claim({"kind": "at_least", "value": 1}, "b.json:value")],
                             gaps, False, "")
    text = claims.to_markdown(pd.DataFrame(rows, columns=claims.COLUMNS))
    assert text.startswith("2 claims: 2 not measured.")
