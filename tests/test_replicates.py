"""Seed replicates summed up: every number of the seeds' metrics, its spread and interval."""

import json

import numpy as np
import pytest

from audiorepro import replicates, stats
from audiorepro.errors import InputError


def test_numbers_flattens_metrics_by_the_keys_claims_use():
    metrics = {"accuracy": 0.8, "n": 400, "ok": True, "name": "x", "device": {"cpus": 2},
               "nested": {"value": 2.5, "list": [1, 2]}, "training_seconds": 12.0}
    assert replicates.numbers(metrics) == {"accuracy": 0.8, "n": 400.0, "nested.value": 2.5,
                                           "nested.list.0": 1.0, "nested.list.1": 2.0,
                                           "nested.list.-2": 1.0, "nested.list.-1": 2.0}


def test_summary_gives_the_t_interval_over_seeds_and_none_for_one():
    s = replicates.summary([0.8, 0.9, 0.85])
    assert s["mean"] == pytest.approx(0.85) and s["sd"] == pytest.approx(0.05)
    half = 4.302652729911275 * 0.05 / 3 ** 0.5
    assert (s["low"], s["high"]) == pytest.approx((0.85 - half, 0.85 + half))
    # one seed has no spread nor interval over seeds: none is made up (not a zero-width one)
    one = replicates.summary([0.7, float("nan")])
    assert (one["low"], one["mean"], one["high"], one["sd"], one["n"]) == (None, 0.7, None, None, 1)
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


def test_a_seeds_statements_about_its_numbers_reach_the_replicates(tmp_path):
    # the second file's statements go under its stem, as its numbers do
    (tmp_path / "m.json").write_text(json.dumps(
        {"mse": 0.01, "sampling_interval": {"mse": [0.008, 0.012]},
         "not_comparable": {"mse": "the network learned nothing"}}))
    (tmp_path / "g.json").write_text(json.dumps(
        {"drift": {"second": None}, "not_measured": {"drift.second": "none within 30 s"},
         "not_comparable": {"drift.second": "generation collapsed"},
         "sampling_interval": {"level": [1.0, 2.0]}, "level": 1.5}))
    doc = replicates.collect([tmp_path / "m.json", tmp_path / "g.json"], [7],
                             tmp_path / "r.json", files=["metrics.json", "generation.json"])
    assert doc["metrics"]["mse"]["sampling"] == [[0.008, 0.012]]
    assert doc["metrics"]["generation.level"]["sampling"] == [[1.0, 2.0]]
    assert doc["not_comparable"] == {"metrics.mse": "the network learned nothing (seed 7)",
                                     "metrics.generation.drift.second":
                                         "generation collapsed (seed 7)"}
    assert doc["not_measured"] == {"metrics.generation.drift.second": "none within 30 s (seed 7)"}
    assert not any("sampling_interval" in k or "not_comparable" in k for k in doc["metrics"])
    assert doc["metrics"]["mse"]["low"] is None  # one seed: no interval over seeds


def test_bootstrap_gives_a_repeatable_sampling_interval():
    values = np.random.default_rng(0).normal(1.0, 0.5, 400)
    low, high = stats.bootstrap(values)
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert low < values.mean() < high and high - low == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert stats.bootstrap(values) == (low, high)
    assert stats.bootstrap([1.0]) is None


def test_one_proportion_interval_of_one_seed_is_wilson():
    assert stats.proportion_interval([0.75], [12]) == pytest.approx(stats.wilson(9, 12))
    assert stats.proportion_interval([0.75], [None]) == (None, None)


@pytest.mark.parametrize("seeds, title", [
    ([1], "w: v\n1 seed (1): its value; one seed gives no interval over seeds"),
    ([1, 2, 3], "w: v\n3 seeds (1, 2, 3): dots, mean and 95 % interval over seeds"),
])
def test_the_spread_figure_claims_an_interval_only_over_several_seeds(seeds, title):
    from audiorepro import plots

    doc = replicates.aggregate([{"acc": 0.5 + 0.1 * s} for s in seeds], seeds)
    fig = plots.replicate_spread(doc, {"acc": "accuracy"}, "w: v")
    assert fig.axes[0].get_title() == title
    lines = [line for line in fig.axes[0].get_lines() if len(set(line.get_ydata())) == 1]
    assert len(lines) == (0 if len(seeds) == 1 else 1)  # the interval over seeds, a flat line
    plots.plt.close(fig)
