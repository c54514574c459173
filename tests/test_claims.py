"""The claims table: verdicts from declared rules, on metrics that should pass and fail."""

import json
import re

import pandas as pd
import pytest

from audiorepro import claims, claims_table
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
                   "continuation": [f"N{i}" for i in range(1, 10)]}
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
    assert row["ours"] == "drift.second: - / ok: 0.9"  # several numbers: each by its key


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
    text = claims_table.to_markdown(pd.DataFrame(rows, columns=claims.COLUMNS))
    assert text.startswith("2 claims: 2 not measured.")


# --- what a row rests on, and comparing two runs ---------------------------------------------------

def test_data_checksum_follows_names_and_contents_not_the_place(tmp_path):
    from audiorepro.provenance import data_checksum

    for where in ("a", "b"):
        (tmp_path / where / "sub").mkdir(parents=True)
        (tmp_path / where / "sub" / "x.wav").write_bytes(b"RIFF1")
        (tmp_path / where / "y.mp3").write_bytes(b"ID3")
    assert data_checksum(tmp_path / "a") == data_checksum(tmp_path / "b")
    (tmp_path / "b" / "y.mp3").write_bytes(b"ID4")
    assert data_checksum(tmp_path / "a") != data_checksum(tmp_path / "b")
    (tmp_path / "b" / "y.mp3").write_bytes(b"ID3")
    (tmp_path / "b" / "y.mp3").rename(tmp_path / "b" / "z.mp3")
    assert data_checksum(tmp_path / "a") != data_checksum(tmp_path / "b")
    assert data_checksum(tmp_path / "none") == "none"


def test_the_code_of_a_study_is_its_rules_entry_points_notebook_and_their_imports():
    from conftest import ROOT
    from audiorepro.provenance import code_hash, study_code

    files = study_code(ROOT, "sorting")
    assert {"rules/sorting.smk", "scripts/model_run.py", "scripts/recordings_convert.py",
            "scripts/run_notebook.py", "reports/sorting.ipynb", "scripts/audiorepro/training.py",
            "scripts/audiorepro/sorting/model.py", "scripts/audiorepro/sorting/claims.yaml"} <= set(files)
    assert not any("/whales/" in f or "/catsdogs/" in f for f in files)
    assert code_hash(ROOT, "sorting") != code_hash(ROOT, "whales")


def table(tmp_path, name, rows):
    path = tmp_path / name
    pd.DataFrame(rows, columns=claims.COLUMNS).to_csv(path, index=False)
    return path


def test_compare_names_the_claims_that_changed_and_what_they_rest_on(tmp_path, capsys):

    row = {c: "" for c in claims.COLUMNS}
    a = [{**row, "study": "s", "id": "S1", "ours": "0.5", "verdict": "holds", "code": "c1", "data": "d"},
         {**row, "study": "s", "id": "S2", "ours": "0.9", "verdict": "holds", "code": "c1", "data": "d"}]
    b = [{**a[0], "code": "c2"}, {**a[1], "ours": "0.4", "verdict": "differs", "code": "c2"}]
    changes = claims_table.compare(claims_table.read_table(table(tmp_path, "a.csv", a)),
                             claims_table.read_table(table(tmp_path, "b.csv", b)))
    assert changes.values.tolist() == [["s", "S2", "verdict", "holds", "differs"],
                                       ["s", "S2", "ours", "0.9", "0.4"],
                                       ["s", "*", "code", "c1", "c2"]]
    (tmp_path / "run").mkdir()
    table(tmp_path / "run", "claims.csv", a)
    assert claims_table.compare_main([str(tmp_path / "run"), str(tmp_path / "a.csv")]) == 0
    assert capsys.readouterr().out.startswith("2 claims in A, 2 in B: 0 verdict(s) changed")
    assert claims_table.compare_main([str(tmp_path / "run"), str(tmp_path / "b.csv")]) == 0
    assert "s S2 verdict: holds -> differs" in capsys.readouterr().out
    assert claims_table.compare_main([str(tmp_path / "nowhere"), str(tmp_path / "a.csv")]) == 2
    assert "nowhere: is missing: give a results folder" in capsys.readouterr().err


# --- seed replicates: the interval over seeds decides ---------------------------------------------

def agg(*values):
    from audiorepro.stats import summary

    return summary(values)


@pytest.mark.parametrize("rule, values, verdict", [
    ({"kind": "at_least", "value": 0.5}, [agg(0.8, 0.82, 0.79)], "holds"),
    ({"kind": "at_least", "value": 0.5}, [agg(0.3, 0.32, 0.29)], "differs"),
    ({"kind": "at_least", "value": 0.5}, [agg(0.45, 0.8, 0.6)], "inconclusive"),
    ({"kind": "range", "low": 0.0, "high": 0.15}, [agg(0.05, 0.1, 0.07)], "holds"),
    ({"kind": "range", "low": 0.0, "high": 0.15}, [agg(0.05, 0.3, 0.1)], "inconclusive"),
    ({"kind": "greater"}, [agg(0.8, 0.82, 0.81), agg(0.3, 0.35, 0.32)], "holds"),
    ({"kind": "greater"}, [agg(0.8, 0.3, 0.6), agg(0.5, 0.55, 0.52)], "inconclusive"),
    ({"kind": "greater"}, [agg(0.2, 0.21, 0.22), agg(0.5, 0.55, 0.52)], "differs"),
    ({"kind": "greater"}, [0.5, 0.5], "differs"),  # two plain numbers: as before
    ({"kind": "ordering"}, [agg(0.1, 0.11), agg(0.5, 0.52), agg(0.9, 0.91)], "holds"),
    ({"kind": "at_least", "value": 0.5, "original_value": 0.7, "tolerance": 0.1},
     [agg(0.85, 0.9, 0.88)], "differs"),
    ({"kind": "at_least", "value": 0.5, "original_value": 0.7, "tolerance": 0.1},
     [agg(0.7, 0.78, 0.75)], "holds"),
    ({"kind": "at_least", "value": 0.5, "original_value": 0.7, "tolerance": 0.1}, [0.95], "differs"),
])
def test_intervals_over_seeds_decide_and_a_bound_inside_one_is_inconclusive(rule, values, verdict):
    assert claims.judge(rule, values)[0] == verdict


def test_above_chance_over_seeds_takes_the_wider_of_seeds_and_one_seeds_sample():
    from audiorepro.stats import proportion_interval

    # three seeds agreeing exactly on 12 samples each: the interval is no point, and the
    # samples are not pooled (seeds may share their test files)
    low, high = proportion_interval([0.75, 0.75, 0.75], [12, 12, 12])
    assert (low, high) == pytest.approx(claims.wilson(9, 12))
    # seeds that disagree: the t interval over seeds is wider than the Wilson one
    low, high = proportion_interval([0.55, 0.95, 0.75], [1000] * 3)
    assert low < 0.5 and high == 1.0  # clipped to a proportion's range
    verdict, text = claims.judge({"kind": "above_chance", "chance": 0.5},
                                 [agg(0.55, 0.95, 0.75), agg(1000, 1000, 1000)])
    # an interval over seeds that spans chance decides nothing (catsdogs C3 at another thread
    # count: 0.467-0.975), as with every other rule over seeds; wholly below chance differs
    assert verdict == "inconclusive" and "mean of 3 seeds" in text and "n = 1,000 per seed" in text
    verdict, _ = claims.judge({"kind": "above_chance", "chance": 0.5},
                              [agg(0.3, 0.32, 0.31), agg(1000, 1000, 1000)])
    assert verdict == "differs"
    verdict, _ = claims.judge({"kind": "above_chance", "chance": 0.5},
                              [agg(0.8, 0.82, 0.81), agg(200, 200, 200)])
    assert verdict == "holds"


def test_the_rule_text_says_when_the_original_number_is_tested():
    rule = {"kind": "above_chance", "chance": 0.5, "original_value": 0.7, "tolerance": 0.1}
    assert claims.describe(rule) == ("95 % interval above chance (0.5); and within 0.1 of the "
                                     "original 0.7")


def test_measures_read_the_flattened_keys_of_a_replicates_file(tmp_path):
    from audiorepro.replicates import aggregate

    doc = aggregate([{"validation": {"majority": 0.7}, "by_epoch": [0.5, 0.6, 0.8]}] * 2, [1, 2])
    (tmp_path / "replicates.json").write_text(json.dumps(doc))
    results = claims.Results(tmp_path)
    assert results.value("replicates.json:metrics.validation.majority")["mean"] == 0.7
    assert results.value("replicates.json:metrics.by_epoch.-1")["values"] == [0.8, 0.8]
    assert results.value("replicates.json:seeds.1") == 2
    with pytest.raises(InputError, match="has no 'metrics.by_epoch.9'"):
        results.value("replicates.json:metrics.by_epoch.9")


@pytest.mark.parametrize("values, verdict", [
    ([12.0, 13.5], "holds"), ([12.0, 16.0], "differs"),
    ([agg(12.0, 12.5, 12.2), agg(13.0, 13.2, 13.1)], "holds"),
    ([agg(9.0, 15.0, 12.0), agg(13.0, 13.2, 13.1)], "inconclusive"),
    ([agg(5.0, 5.2, 5.1), agg(13.0, 13.2, 13.1)], "differs"),
])
def test_close_holds_when_the_two_differ_by_at_most_the_tolerance(values, verdict):
    rule = {"kind": "close", "tolerance": 3.0}
    assert claims.judge(rule, values)[0] == verdict
    assert claims.describe(rule) == "the two differ by at most 3"


def test_a_real_data_claim_on_embedded_data_is_not_testable_even_when_inconclusive(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "replicates.json").write_text(json.dumps(
        {"metrics": {"accuracy": agg(0.7, 0.82, 0.76)}}))
    rule = {"kind": "range", "low": 0.72, "high": 0.84}  # a bound inside the seeds' interval
    measure = "models/replicates.json:metrics.accuracy"
    synthetic, = claims.study_rows("s", [claim(rule, measure, True)], claims.Results(tmp_path),
                                   True, "")
    real, = claims.study_rows("s", [claim(rule, measure, True)], claims.Results(tmp_path),
                              False, "")
    assert real["verdict"] == "inconclusive"
    assert synthetic["verdict"] == "not testable on embedded data"


# --- one seed: its own sampling interval, or "inconclusive: one seed" ---------------------------

ONE_SEED = "inconclusive: one seed"


@pytest.mark.parametrize("rule, values", [
    ({"kind": "at_least", "value": 0.5}, [agg(0.8)]),
    ({"kind": "at_most", "value": 0.5}, [agg(0.8)]),
    ({"kind": "range", "low": 0.0, "high": 0.15}, [agg(0.5625)]),
    ({"kind": "close", "tolerance": 3.0}, [agg(15.97), agg(7.786)]),
    ({"kind": "greater"}, [agg(0.9475), agg(0.9025)]),
    ({"kind": "greater"}, [agg(0.9), 0.5]),  # a seed against a plain number
    ({"kind": "ordering"}, [agg(0.1), agg(0.5), agg(0.9)]),
    ({"kind": "at_least", "value": 1}, [agg(0.0)]),  # orcas O2 on one seed
])
def test_one_seed_without_a_sampling_interval_decides_nothing(rule, values):
    verdict, text = claims.judge(rule, values)
    assert verdict == ONE_SEED
    assert "95 % CI" not in text and "(1 seed)" in text


def test_one_seeds_proportion_is_judged_on_its_wilson_interval(tmp_path):
    from audiorepro.replicates import aggregate

    # whales W5-like: 0.7775 of 400 validation clips; alone, 0.7775 >= 0.75 would hold
    doc = aggregate([{"accuracy": 0.7775, "validation": {"n": 400}, "lr": 0.9025}], [1])
    (tmp_path / "replicates.json").write_text(json.dumps(doc))
    results = claims.Results(tmp_path)
    row = {**claim({"kind": "at_least", "value": 0.75}, "replicates.json:metrics.accuracy"),
           "counts": ["replicates.json:metrics.validation.n"]}
    made, = claims.study_rows("s", [row], results, False, "")
    low, high = claims.wilson(311, 400)
    assert made["verdict"] == "inconclusive"  # the bound lies inside the Wilson interval
    assert made["ours"] == f"0.7775 (1 seed; Wilson 95 % CI {low:.3f}-{high:.3f}, n = 400)"
    row = {**claim({"kind": "ordering"}, ["replicates.json:metrics.accuracy",
                                          "replicates.json:metrics.lr"]),
           "counts": ["replicates.json:metrics.validation.n"] * 2, "labels": ["a", "b"]}
    made, = claims.study_rows("s", [row], results, False, "")
    assert made["verdict"] == "holds" and made["ours"].startswith("a: 0.7775 (1 seed; Wilson")
    # above_chance on one seed: the Wilson interval, said as one seed's (not "mean of 1 seeds")
    verdict, text = claims.judge({"kind": "above_chance", "chance": 0.5}, [agg(0.8), agg(400)])
    assert verdict == "holds" and text.startswith("0.8 (1 seed; Wilson 95 % CI 0.758-0.836")
    assert text.endswith("n = 400; chance 0.5)")
    verdict, _ = claims.judge({"kind": "at_chance", "chance": 0.5}, [agg(0.52), agg(100)])
    assert verdict == "holds"


def test_one_seed_with_a_stated_sampling_interval_is_judged_on_it(tmp_path):
    from audiorepro.replicates import aggregate

    seed = {"valid": 0.013, "baseline": 0.0009,
            "sampling_interval": {"valid": [0.011, 0.015], "baseline": [0.0008, 0.001]}}
    doc = aggregate([seed], [1])
    assert doc["metrics"]["valid"]["sampling"] == [[0.011, 0.015]]
    (tmp_path / "replicates.json").write_text(json.dumps(doc))
    row = claim({"kind": "greater"}, ["replicates.json:metrics.valid",
                                      "replicates.json:metrics.baseline"])
    made, = claims.study_rows("s", [row], claims.Results(tmp_path), False, "")
    assert made["verdict"] == "holds"
    assert made["ours"] == ("valid: 0.013 (1 seed; 95 % sampling interval 0.011-0.015) / "
                            "baseline: 0.0009 (1 seed; 95 % sampling interval 0.0008-0.001)")
    # a zero-width sampling interval is none
    verdict, _ = claims.judge({"kind": "at_least", "value": 0.01},
                              [{**agg(0.013), "sampling": [[0.013, 0.013]]}])
    assert verdict == ONE_SEED


def test_plain_numbers_of_one_seed_decide_nothing_and_of_the_data_do(tmp_path):
    # catsdogs C4: ablations.json's means over the ablation's seeds, here one
    (tmp_path / "ablations.json").write_text(json.dumps(
        {"filters": {"f5": {"gap": 0.01, "seeds": [1]}, "f10": {"gap": 0.013}},
         "counts": {"leaks": 10, "clean": 0}}))
    results = claims.Results(tmp_path)
    row = {**claim({"kind": "at_least", "value": 0.1}, "ablations.json:filters.f5.gap"),
           "seeds": "ablations.json:filters.f5.seeds"}
    made, = claims.study_rows("s", [row], results, False, "")
    assert made["verdict"] == ONE_SEED and made["ours"] == "0.01 (1 seed)"
    row["seeds"] = None
    assert claims.study_rows("s", [row], results, False, "")[0]["verdict"] == "differs"
    both = {**claim({"kind": "at_least", "value": 0.1},
                    ["ablations.json:filters.f5.gap", "ablations.json:filters.f10.gap"]),
            "seeds": ["ablations.json:filters.f5.seeds", None]}  # per measure
    made, = claims.study_rows("s", [both], results, False, "")
    assert made["verdict"] == ONE_SEED
    assert made["ours"] == "filters.f5.gap: 0.01 (1 seed) / filters.f10.gap: 0.013"
    # a count of the split or the model: no seed moves it, one seed decides
    leak = claim({"kind": "greater", "depends_on_seed": False},
                 ["ablations.json:counts.leaks", "ablations.json:counts.clean"])
    assert claims.judge(leak["rule"], [agg(10), agg(0)])[0] == "holds"
    assert claims.judge({"kind": "equals", "value": 3951}, [agg(3951)]) == ("holds", "3,951 (1 seed)")


def test_sorting_differences_of_one_seed_use_the_runs_samples():
    from audiorepro.sorting import evaluate, verdicts

    def grid(n_valid, widths=True):
        runs = []
        for n, acc, length in ((2, 0.8, 0.01), (5, 0.3, 0.01), (2, 0.76, 0.1)):
            low, high = claims.wilson(acc * n_valid, n_valid) if widths else (acc, acc)
            runs.append({"dataset": "music", "sample_length": length, "n_chunks": n,
                         "pad_mode": "random_per_gap", "encoding": 16, "protocol": "clean",
                         "accuracy": acc, "ci_low": low, "ci_high": high, "chance": 1 / n,
                         "above_chance": low > 1 / n, "permutation_accuracy": 0.0,
                         "permutation_chance": 0.5, "n_valid": n_valid, "positions": n_valid * n})
        return runs

    for n_valid, s6 in ((4000, "supported"), (100, "inconclusive")):
        runs = grid(n_valid)
        judged = verdicts.claims(evaluate.collect(runs), runs=evaluate.per_seed_table(runs))
        judged = judged.set_index("id")
        assert judged.loc["S5", "verdict"] == "supported"
        row = judged.loc["S6"]  # skill 0.6 against 0.52: clear on 4,000 samples, not on 100
        assert row.verdict == s6 and "one seed: 95 % interval over its runs' validation" in row.note
        assert row.difference_low < row.difference < row.difference_high
    # runs without a width to their intervals leave one seed no interval at all
    runs = grid(100, widths=False)
    judged = verdicts.claims(evaluate.collect(runs), runs=evaluate.per_seed_table(runs))
    row = judged.set_index("id").loc["S6"]
    assert row.verdict == ONE_SEED and row.difference_low is None
    verdict, text = claims.judge({"kind": "judged", "text": "t"}, [ONE_SEED, 0.08, None, None])
    assert (verdict, text) == (ONE_SEED, "0.080")


# --- not comparable ---------------------------------------------------------------------------------

def test_a_claim_not_comparable_at_this_size_says_why_with_our_number(results):
    rule = {"kind": "not_comparable", "reason": "a 0.6-M CPU model against the 55-M one on a K40"}
    row, = claims.study_rows("s", [claim(rule, f"{M}:accuracy", True)], results, True, "")
    assert row["verdict"] == "not comparable: a 0.6-M CPU model against the 55-M one on a K40"
    assert row["ours"] == "0.8" and row["rule"] == "not comparable at this size [real data only]"


def test_a_results_file_marks_a_measure_not_comparable(tmp_path):
    from audiorepro.replicates import aggregate

    seeds = [{"fall": 0.9, "drift": None, "not_comparable": {"fall": "the network learned nothing"},
              "not_measured": {"drift": "no drift"}},
             {"fall": 0.8, "drift": None, "generation": {}}]
    doc = aggregate(seeds, [1, 2])
    assert doc["not_comparable"] == {"metrics.fall": "the network learned nothing (seed 1)"}
    assert "not_comparable.fall" not in doc["metrics"]
    (tmp_path / "replicates.json").write_text(json.dumps(doc))
    (tmp_path / "plain.json").write_text(json.dumps(
        {"drift": None, "not_comparable": {"drift": "generation collapsed"}}))
    results = claims.Results(tmp_path)
    rows = claims.study_rows("s", [
        claim({"kind": "range", "low": 0.15, "high": 0.35}, "replicates.json:metrics.fall"),
        claim({"kind": "range", "low": 30, "high": 70}, "plain.json:drift"),
        claim({"kind": "at_least", "value": 0.5}, "replicates.json:metrics.fall", True),
    ], results, True, "")
    assert [r["verdict"] for r in rows] == [
        "not comparable: the network learned nothing (seed 1)",
        "not comparable: generation collapsed",  # before "not measured"
        "not comparable: the network learned nothing (seed 1)"]  # before "not testable"
    assert rows[0]["ours"].startswith("0.85 (mean of 2 seeds") and rows[1]["ours"] == "-"


# --- labels -------------------------------------------------------------------------------------

def test_every_number_of_ours_says_what_it_measures(results, tmp_path):
    rule = {"kind": "greater"}
    labelled = {**claim(rule, [f"{M}:accuracy", f"{M}:low"]), "labels": ["model", "floor"]}
    row, = claims.study_rows("s", [labelled], results, False, "")
    assert row["ours"] == "model: 0.8 / floor: 0.35"
    row, = claims.study_rows("s", [claim(rule, [f"{M}:accuracy", f"{M}:low"])], results, False, "")
    assert row["ours"] == "accuracy: 0.8 / low: 0.35"  # no labels: each by its key
    assert claims.default_labels(["models/a/replicates.json:metrics.acc",
                                  "models/b/replicates.json:metrics.acc"]) == ["a acc", "b acc"]
    row, = claims.study_rows("s", [claim({"kind": "at_least", "value": 0.1}, f"{M}:accuracy")],
                             results, False, "")
    assert row["ours"] == "0.8"  # one number: the measure column says what it is
    bad = tmp_path / "claims.yaml"
    bad.write_text("- {id: X1, claim: c, source: s, original: o, measure: [a.json:x, a.json:y],\n"
                   "   labels: [only one], rule: {kind: greater}}\n")
    with pytest.raises(InputError, match="X1: labels must list 2 entries, one per number shown"):
        claims.load_claims(bad)
    bad.write_text("- {id: X1, claim: c, source: s, original: o, measure: a.json:x,\n"
                   "   counts: [b.json:n], rule: {kind: at_least, value: 1}}\n")
    with pytest.raises(InputError, match="X1: b.json:n reads a file that none of its measures"):
        claims.load_claims(bad)


def test_the_studies_label_every_row_of_several_numbers():
    from pathlib import Path

    root = Path(claims.__file__).parent
    for study in ("catsdogs", "whales", "sorting", "orcas"):
        for c in claims.load_claims(root / study / "claims.yaml"):
            refs = c.get("measure", [])
            if isinstance(refs, list) and len(refs) > 1 and c["rule"]["kind"] not in (
                    "above_chance", "at_chance", "judged"):
                assert c.get("labels"), f"{study} {c['id']}"


# --- coverage caveats, and cells that cannot make markup ------------------------------------------

def test_a_study_that_lost_recordings_says_so_on_every_row(tmp_path, results):

    (tmp_path / "convert.json").write_text(json.dumps(
        {"kept": 4, "total": 19, "what": "annotated stretches",
         "warnings": ["15 of 19 annotated stretches were skipped as too short."]}))
    (tmp_path / "fine.json").write_text(json.dumps(
        {"kept": 3, "total": 3, "what": "recordings", "warnings": []}))
    caveat = claims.coverage_caveats([tmp_path / "convert.json", tmp_path / "fine.json"])
    assert caveat == "15 of 19 annotated stretches were skipped as too short."
    assert claims.coverage_caveats([tmp_path / "fine.json"]) == ""
    (tmp_path / "bad.json").write_text('{"warnings": "oops"}')
    with pytest.raises(InputError, match="bad.json: is not a coverage file"):
        claims.coverage_caveats([tmp_path / "bad.json"])
    rows = claims.study_rows("s", [claim({"kind": "at_least", "value": 0.5}, f"{M}:accuracy")] * 2,
                             results, False, "")
    rows = [{**r, "id": f"X{i}", "caveats": caveat} for i, r in enumerate(rows)]
    table = pd.DataFrame(rows, columns=claims.COLUMNS)
    assert claims.COLUMNS[-1] == "caveats"
    text = claims_table.to_markdown(table)
    assert "| verdict | rule | caveats |" in text and text.count("15 of 19 annotated") == 2
    front = claims_table.summary_table(table)
    assert list(front.columns) == ["study", "id", "claim", "original", "ours", "verdict"]
    assert front.ours[0] == r"0\.8 \(caveat\: 15 of 19 annotated stretches were skipped as too short\.\)"
    # a table written before the column existed compares with one that has it
    (tmp_path / "new").mkdir()
    table.to_csv(tmp_path / "new" / "claims.csv", index=False)
    table.drop(columns=["caveats"]).to_csv(tmp_path / "old.csv", index=False)
    changes = claims_table.compare(claims_table.read_table(tmp_path / "old.csv"),
                             claims_table.read_table(tmp_path / "new"))
    assert changes.values.tolist() == [["s", "X0", "caveats", "", caveat],
                                       ["s", "X1", "caveats", "", caveat]]
    assert claims_table.compare_main([str(tmp_path / "old.csv"), str(tmp_path / "new")]) == 0


HOSTILE = "</script><img src=x onerror=alert(1)> a|b `code` *em* [x](javascript:alert(1)) \\ &amp;"


def test_markdown_cells_make_no_markup():
    row = {c: "" for c in claims.COLUMNS}
    table = pd.DataFrame([{**row, "study": "s", "id": "X1", "claim": HOSTILE,
                           "ours": "evil.wav\nnext | line", "verdict": "not measured: _x_ tape"}],
                         columns=claims.COLUMNS)
    text = claims_table.to_markdown(table)
    line = text.splitlines()[-1]
    assert "<" not in text and ">" not in line.replace("&gt;", "")
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in line
    assert r"a\|b" in line and r"\`code\`" in line and r"\*em\*" in line and r"\[x\]" in line
    assert r" \\ &amp;amp;" in line and r"evil.wav next \| line" in line and r"\_x\_" in line
    cells = [c for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    assert len(cells) == 7  # study, id, claim, original, ours, verdict, rule: no cell split


def test_front_page_cells_make_no_rest_markup(tmp_path):
    from docutils.core import publish_parts

    row = {c: "" for c in claims.COLUMNS}
    evil = ["javascript:alert(1)", "`x <javascript:alert(1)>`_", "|sub| [1]_ x_",
            "- a list", "a\n\n.. raw:: html\n\n   <b>raw</b>", HOSTILE]
    table = pd.DataFrame([{**row, "study": "s", "id": f"X{i}", "claim": cell, "ours": "0.5",
                           "verdict": "holds"} for i, cell in enumerate(evil)],
                         columns=claims.COLUMNS)
    claims_table.summary_table(table).to_csv(tmp_path / "front.csv", index=False)
    source = f".. csv-table:: t\n   :file: {tmp_path / 'front.csv'}\n   :header-rows: 1\n"
    html = publish_parts(source, writer="html", settings_overrides={
        "raw_enabled": True, "file_insertion_enabled": True, "report_level": 5})["body"]
    for tag in ("<a ", "<img", "<b>", "<ul", "<em", "<script", "problematic", "<cite"):
        assert tag not in html, tag
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)
    import html as html_module

    assert html_module.unescape(cells[0]) == "s"
    shown = [html_module.unescape(c) for c in cells[2::6]]
    assert shown == [" ".join(c.split()) for c in evil]  # each reads as written, on one line


def test_the_rank_auc_is_scikit_learns_and_counts_ties_half():
    from audiorepro import stats

    assert stats.auc([2, 3], [0, 1]) == 1.0 and stats.auc([0, 1], [0, 1]) == 0.5
    assert stats.auc([1, 1], [1, 0]) == 0.75  # one tie of two pairs' four
    assert stats.auc([], [1.0]) != stats.auc([], [1.0])  # NaN without one of the groups
    assert stats.roc_auc([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.5]) == 0.75
