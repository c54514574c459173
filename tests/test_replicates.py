"""Seed replicates summed up: every number of the seeds' metrics, its spread and interval."""

import json

import pytest

from audiorepro import replicates
from audiorepro.errors import InputError


def test_numbers_flattens_metrics_by_the_keys_claims_use():
    metrics = {"accuracy": 0.8, "n": 400, "ok": True, "name": "x", "device": {"cpus": 2},
               "nested": {"value": 2.5, "list": [1, 2]}, "training_seconds": 12.0}
    assert replicates.numbers(metrics) == {"accuracy": 0.8, "n": 400.0, "nested.value": 2.5,
                                           "nested.list.0": 1.0, "nested.list.1": 2.0,
                                           "nested.list.-2": 1.0, "nested.list.-1": 2.0}


def test_summary_gives_the_t_interval_over_seeds_and_a_point_for_one():
    s = replicates.summary([0.8, 0.9, 0.85])
    assert s["mean"] == pytest.approx(0.85) and s["sd"] == pytest.approx(0.05)
    half = 4.302652729911275 * 0.05 / 3 ** 0.5
    assert (s["low"], s["high"]) == pytest.approx((0.85 - half, 0.85 + half))
    one = replicates.summary([0.7])
    assert (one["low"], one["mean"], one["high"], one["sd"]) == (0.7, 0.7, 0.7, 0.0)
    none = replicates.summary([float("nan")])
    assert none["mean"] is None and none["values"] == [None]


def test_collect_writes_what_every_seed_has_and_flags_a_diverged_seed(tmp_path):
    paths = []
    for seed, (acc, diverged) in enumerate([(0.8, False), (0.9, True)], start=3):
        path = tmp_path / f"seed{seed}.json"
        path.write_text(json.dumps({"acc": acc, "diverged": diverged, **({"only": 1} if seed == 3 else {})}))
        paths.append(path)
    doc = replicates.collect(paths, [3, 4], tmp_path / "replicates.json")
    assert json.loads((tmp_path / "replicates.json").read_text()) == doc
    assert doc["seeds"] == [3, 4] and doc["diverged"] and doc["diverged_seeds"] == [4]
    assert doc["device"] is None  # the seeds' files here name none
    assert set(doc["metrics"]) == {"acc", "only"} and doc["metrics"]["acc"]["values"] == [0.8, 0.9]
    assert doc["metrics"]["only"]["values"] == [1.0, None] and doc["metrics"]["only"]["n"] == 1
    with pytest.raises(InputError, match="2 metrics files for 3 seeds"):
        replicates.aggregate([{}, {}], [1, 2, 3])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="bad.json: is not a readable metrics file"):
        replicates.collect([tmp_path / "bad.json"], [1], tmp_path / "r.json")


def test_a_measure_no_seed_could_take_stays_with_its_reason():
    doc = replicates.aggregate([{"r": None, "not_measured": {"r": "no annotations"}},
                                {"r": None, "not_measured": {"r": "no annotations"}}], [1, 2])
    assert doc["metrics"]["r"]["mean"] is None
    assert doc["not_measured"] == {"metrics.r": "no annotations (seed 1)"}


def test_the_device_the_seeds_trained_on_is_kept_for_the_claims_table():
    device = {"backend": "tensorflow", "accelerator": "cpu", "cpus": 2, "host": "h"}
    doc = replicates.aggregate([{"acc": 0.5, "device": device}, {"acc": 0.6, "device": device}],
                               [1, 2])
    assert doc["device"] == device and "device.cpus" not in doc["metrics"]
