"""orcas: mu-law, split, the truncated-BPTT stream, the models, the scans, the unit metrics,
the synthetic tapes and the figures."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile

from audiorepro import stats
from audiorepro.errors import InputError
from audiorepro.orcas import batches, data, evaluate, synth

keras = pytest.importorskip("keras")
from audiorepro.orcas import figures, model, scan  # noqa: E402

RATE = 16000


# ---------------------------------------------------------------- mu-law
def test_mulaw_encode_matches_scrynet_formula_on_known_values():
    x = [0.0, 1.0, -1.0, 2.0, -3.0, 0.5, -0.5, 0.01, -0.01, 0.001, 1e-6, -1e-6]
    # int((sign(x) log1p(127 |x|) / log1p(127) + 1) / 2 * 127 + 0.5), |x| clipped to 1
    assert data.mulaw_encode(x).tolist() == [64, 127, 0, 127, 0, 118, 9, 74, 53, 65, 64, 63]
    assert data.mulaw_encode(np.linspace(-1, 1, 10001)).min() == 0
    assert data.mulaw_encode(np.linspace(-1, 1, 10001)).max() == 127
    assert len(np.unique(data.mulaw_encode(np.linspace(-1, 1, 100001)))) == 128


def test_mulaw_round_trip():
    codes = np.arange(128)
    assert np.array_equal(data.mulaw_encode(data.mulaw_decode(codes)), codes)
    x = np.random.default_rng(0).uniform(-1, 1, 1000)
    back = data.mulaw_decode(data.mulaw_encode(x))
    # a code spans at most the step of the coarsest (loudest) code
    assert np.max(np.abs(back - x)) <= np.max(np.diff(data.mulaw_decode(codes)))
    assert np.all(np.sign(back[np.abs(x) > 0.05]) == np.sign(x[np.abs(x) > 0.05]))


# ---------------------------------------------------------------- split
def test_recording_split_counts_seeded_and_disjoint():
    names = [f"2006-{i:03d}.wav" for i in range(200)]
    split = data.recording_split(names, 0.64, seed=3)
    assert split.split.value_counts().to_dict() == {"train": 128, "heldout": 72}
    assert sorted(split.file) == sorted(names) and split.file.is_unique
    assert split.equals(data.recording_split(list(reversed(names)), 0.64, seed=3))
    assert not split.split.equals(data.recording_split(names, 0.64, seed=4).split)
    small = data.recording_split(["a", "b", "c"], 0.99, seed=0)
    assert small.split.value_counts().to_dict() == {"train": 2, "heldout": 1}
    with pytest.raises(InputError, match="train_fraction"):
        data.recording_split(names, 1.0, seed=0)


# ---------------------------------------------------------------- the training stream
def _recordings(n=3, seconds=0.5, seed=0):
    rng = np.random.default_rng(seed)
    return {f"tape{i}.wav": rng.integers(-20000, 20000, int(seconds * RATE)).astype(np.int16)
            for i in range(n)}


def test_stream_batches_are_next_sample_windows_that_continue_the_segments():
    recs = _recordings()
    b = data.SegmentBatches(recs, batch_size=5, segment_seconds=0.05, seed=7, bptt_steps=8)
    assert len(b) == 100 and b.span == 100 * 8 + 16
    which, starts = b.segments(2)
    rng = np.random.default_rng(1)
    names = list(recs)
    for index in rng.integers(len(b), size=4):
        x, y = b.batch(2, int(index))
        assert x.shape == (5, 8, 16) and x.dtype == np.float32 and y.shape == (5, 8)
        for _ in range(5):
            s, t = rng.integers(5), rng.integers(8)
            audio = recs[names[which[s]]].astype(np.float64) / 32768
            first = starts[s] + index * 8 + t
            assert np.array_equal(x[s, t], audio[first:first + 16].astype(np.float32))
            assert y[s, t] == data.mulaw_encode(audio[first + 16])
    # update j + 1 starts where update j stopped: its first window is one sample on
    x0, y0 = b.batch(2, 10)
    x1, _ = b.batch(2, 11)
    assert np.array_equal(x1[:, 0, :-1], x0[:, -1, 1:])
    assert np.array_equal(data.mulaw_encode(x1[:, 0, -1]), y0[:, -1])


def test_stream_is_a_pure_function_of_seed_epoch_and_index():
    recs = _recordings()
    kwargs = dict(batch_size=4, segment_seconds=0.02, seed=11, bptt_steps=8)
    a, b = data.SegmentBatches(recs, **kwargs), data.SegmentBatches(recs, **kwargs)
    for epoch, index in [(0, 3), (5, 0), (0, 1)]:
        xa, ya = a.batch(epoch, index)
        xb, yb = b.batch(epoch, index)
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
    assert not np.array_equal(a.batch(0, 0)[0], a.batch(1, 0)[0])
    stream = batches.segment_stream(recs, **kwargs)
    assert stream.epoch == 0 and len(stream) == len(a)
    assert np.array_equal(stream[2][0], a.batch(0, 2)[0])
    stream.epoch = 5  # what the trainer sets at each epoch's start (and on resume)
    assert np.array_equal(stream[0][1], a.batch(5, 0)[1])


def test_recording_shorter_than_a_segment_is_an_input_error_naming_it(tmp_path):
    recs = _recordings(2, seconds=1.0)
    recs["short_tape.wav"] = np.zeros(RATE // 2, np.int16)
    with pytest.raises(InputError, match=r"short_tape\.wav: is 0\.500 s long, shorter than one "
                                         r"training segment"):
        data.SegmentBatches(recs, batch_size=2, segment_seconds=0.75, seed=0)
    path = tmp_path / "short.wav"
    soundfile.write(path, np.zeros(800, np.int16), RATE, subtype="PCM_16")
    with pytest.raises(InputError, match=r"short\.wav: is 0\.050 s long"):
        batches.segment_stream(data.load_recordings([path], RATE), batch_size=2,
                            segment_seconds=0.1, seed=0)
    with pytest.raises(InputError, match="sample rate is 16000 Hz, expected 8000 Hz"):
        data.open_recording(path, 8000)


def test_open_recording_maps_the_samples(tmp_path):
    samples = np.random.default_rng(0).integers(-30000, 30000, 5000).astype(np.int16)
    path = tmp_path / "tape.wav"
    soundfile.write(path, samples, RATE, subtype="PCM_16")
    assert np.array_equal(data.open_recording(path, RATE), samples)


# ---------------------------------------------------------------- models
def _count(layer):
    return int(sum(np.prod(w.shape) for w in layer.trainable_weights))


def test_model_parameter_counts_match_the_original():
    net = model.lstm_model(batch_size=4)
    assert _count(model.unit_layer(net)) == 4 * (64 * (16 + 64) + 64) == 20_736
    assert _count(net) == 20_736 + (80 * 512 + 512) + (512 * 128 + 128) == 127_872
    assert net.get_layer("logits").activation.__name__ == "relu"  # as the original's code
    assert model.unit_layer(net).unit_forget_bias and model.unit_layer(net).stateful
    base = model.baseline_model(batch_size=4)
    assert _count(base) == (32 * 512 + 512) + (512 * 128 + 128) == 82_560
    assert not model.has_lstm(base) and model.n_units(base) == 512


def test_fit_carries_the_state_and_resets_it_each_epoch():
    stream = batches.segment_stream(_recordings(), batch_size=4, segment_seconds=0.01, seed=0,
                                 bptt_steps=8)
    net = model.lstm_model(units=8, hidden=(16,), batch_size=4, learning_rate=1e-3, seed=0)
    seen = []

    class Probe(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(float(np.abs(keras.ops.convert_to_numpy(
                model.unit_layer(self.model).states[0])).sum()))

    history = net.fit(stream, epochs=2, shuffle=False, verbose=0,
                      callbacks=[model.ResetStates(stream), Probe()])
    assert all(np.isfinite(history.history["loss"]))
    n = len(stream)
    assert len(seen) == 2 * n and seen[0] == 0 and seen[n] == 0  # zero at each epoch's start
    assert all(v > 0 for v in seen[1:n] + seen[n + 1:])  # carried within the epoch
    assert stream.epoch == 1  # the second epoch drew new segments
    base = model.baseline_model(hidden=(16,), batch_size=4, learning_rate=1e-3, seed=0)
    assert np.isfinite(base.fit(stream, epochs=1, shuffle=False, verbose=0).history["loss"][0])


# ---------------------------------------------------------------- scans
@pytest.fixture(scope="module")
def small_lstm():
    return model.lstm_model(units=8, hidden=(16,), batch_size=1, seed=1)


def test_fast_scan_equals_the_stepwise_scan(small_lstm):
    audio = np.random.default_rng(0).normal(0, 0.2, 4000).astype(np.float32)
    slow = scan.scan_units_stepwise(small_lstm, audio)
    assert slow.shape == (data.Geometry().n_outputs(4000), 8) == (249, 8)
    fast = scan.scan_units(small_lstm, audio, warmup_steps=256, chunks=5, min_stretch=1,
                           piece_steps=512)
    assert fast.shape == slow.shape
    assert np.max(np.abs(fast - slow)) < 1e-4
    assert np.array_equal(scan.scan_units(small_lstm, audio[:10]), np.zeros((0, 8), np.float32))


def test_non_overlapping_windows_and_baseline_scans(small_lstm):
    audio = np.random.default_rng(1).normal(0, 0.2, 3200).astype(np.float32)
    apart = data.Geometry(hop=16, keep_every=1)
    slow = scan.scan_units_stepwise(small_lstm, audio, apart)
    fast = scan.scan_units(small_lstm, audio, apart, warmup_steps=64, chunks=4, min_stretch=0.5)
    assert slow.shape == (200, 8) and np.max(np.abs(fast - slow)) < 1e-4
    base = model.baseline_model(hidden=(16,), batch_size=1, seed=0)
    units = scan.scan_units(base, audio)
    assert units.shape == (199, 16)
    assert np.allclose(units, scan.scan_units_stepwise(base, audio), atol=1e-5)


# ---------------------------------------------------------------- unit metrics
def _truth():
    return pd.DataFrame({"file": ["t.mp3"] * 4, "start": [0.0, 1.0, 3.0, 2.0],
                         "end": [5.0, 2.0, 3.5, 2.6],
                         "kind": ["ocean", "whistle", "whistle", "speech"]})


def test_presence_and_correlation_on_a_constructed_case():
    truth = _truth()
    n = 5000  # 5 s at 1000 outputs per second
    labels = evaluate.scan_labels(truth, "t.wav", n)
    times = data.Geometry().output_times(n)
    expected = ((times >= 1) & (times < 2)) | ((times >= 3) & (times < 3.5))
    assert np.array_equal(labels["whistle"], expected)
    assert labels["speech"].sum() == pytest.approx(600, abs=1)
    w = labels["whistle"].astype(float)
    rng = np.random.default_rng(0)
    units = np.stack([rng.normal(size=n), w, np.full(n, 0.3), -w + 0.1 * rng.normal(size=n),
                      w + rng.normal(size=n)], axis=1)
    r = evaluate.unit_correlations(units, w)
    assert r[1] == pytest.approx(1.0) and np.isnan(r[2]) and r[3] < -0.9 and abs(r[0]) < 0.1
    assert list(evaluate.rank_units(r)) == [1, 3, 4, 0, 2]
    assert evaluate.share_above(r, 0.3) == pytest.approx(3 / 5)
    metrics = evaluate.metrics({"t.wav": units}, truth, top=2)
    assert metrics["best_unit"] == 1 and metrics["best_r"] == pytest.approx(1.0)
    assert metrics["second_unit"] == 3 and metrics["correlations"][2] is None
    assert metrics["detection"]["n_whistles"] == 2 and metrics["detection"]["detected_by_best"] == 2
    ranges = metrics["ranges"]["1"]
    assert ranges["whistle"]["min"] == 1 and ranges["speech"]["max"] == 0
    assert ranges["auc_whistle_vs_speech"] == 1.0


def test_detector_counts_what_the_second_unit_catches_and_the_best_misses():
    n = 1000
    events = np.array([[100, 150], [300, 350], [600, 650]])
    background = np.ones(n, bool)
    for a, b in events:
        background[a:b] = False
    unit = np.zeros(n)
    unit[100:150] = unit[300:350] = 1.0  # hears the first two
    found, threshold = evaluate.detect_events(unit, events, background)
    assert found.tolist() == [True, True, False] and threshold == 0
    dropping = -unit  # a unit that drops during whistles detects them with sign -1
    found, _ = evaluate.detect_events(dropping, events, background, sign=-1.0)
    assert found.tolist() == [True, True, False]
    assert stats.auc([2, 3], [0, 1]) == 1.0 and stats.auc([0, 1], [0, 1]) == 0.5


def test_pick_stretch_prefers_whistles_without_speech():
    start, end = evaluate.pick_stretch(_truth(), "t.mp3", "whistle", 1.0, 5.0, avoid=("speech",))
    assert (start, end) == pytest.approx((1.0, 2.0))
    start, end = evaluate.pick_stretch(_truth(), "t.mp3", "speech", 0.5, 5.0)
    assert 2.0 <= start and end <= 2.6 + 1e-9


def test_the_whistle_stretch_has_background_around_it_and_no_speech_column_without_speech():
    rng = np.random.default_rng(2)
    # tape 1 is whistles end to end from 0 to 4 s; tape 2 has one whistle at 6-7 s, speech later
    truth = pd.DataFrame({"file": ["positive/01.mp3"] * 8 + ["negative/01.mp3"],
                          "kind": ["whistle"] * 9,
                          "start": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 6.0],
                          "end": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 7.0]})
    scans = {name: rng.normal(size=(10_000, 3)) for name in ("positive/01.wav", "negative/01.wav")}
    audio = {name: rng.normal(0, 0.1, 10 * RATE) for name in scans}
    names = {"positive/01.wav": "positive/01.mp3", "negative/01.wav": "negative/01.flac"}
    metrics = {"ranking": [1, 0], "best_unit": 1, "correlations": [0.1, 0.5, 0.0]}
    columns, labels, title = figures.whistles_columns("lstm", metrics, scans, truth,
                                                      audio.__getitem__, 2.0, names=names)
    assert len(columns) == 1 and title.startswith("no speech annotated")  # no "speech" panel
    (whistle,) = columns
    assert whistle["title"] == "whistle: negative/01.flac 5.5-7.5 s"
    assert whistle["whistles"] == [(0.5, 1.5)]  # background before and after it
    fig = figures.whistles_figure(columns, labels, RATE, title=title)
    assert len(fig.axes) == 3 and fig._suptitle.get_text() == title
    # with speech annotated, the speech column comes back, titled by its path
    speech = pd.concat([truth, pd.DataFrame({"file": ["negative/01.mp3"], "kind": ["speech"],
                                             "start": [8.0], "end": [9.5]})])
    columns, _, title = figures.whistles_columns("lstm", metrics, scans, speech,
                                                 audio.__getitem__, 2.0, names=names)
    assert title is None and [c["title"].split(":")[0] for c in columns] == ["whistle", "speech"]
    assert columns[1]["title"].startswith("speech: negative/01.flac")
    # a recording name as matplotlib would not draw it is escaped
    assert figures.shown_name("a.wav", {"a.wav": "take $1$.wav"}) == r"take \$1\$.wav"
    import matplotlib.pyplot as plt

    plt.close("all")


def test_pick_stretch_margin_keeps_background_at_both_ends():
    truth = pd.DataFrame({"file": ["t.mp3"] * 2, "kind": ["whistle"] * 2,
                          "start": [0.0, 5.0], "end": [3.0, 5.5]})
    assert evaluate.pick_stretch(truth, "t.wav", "whistle", 2.0, 8.0) == pytest.approx((0.0, 2.0))
    start, end, key = evaluate.pick_stretch(truth, "t.wav", "whistle", 2.0, 8.0, margin=0.5,
                                            with_key=True)
    assert start <= 4.5 and end >= 6.0 and key[:2] == (True, 5)
    # no stretch has that much background: the longest at its shorter end
    dense = pd.DataFrame({"file": ["t.mp3"], "kind": ["whistle"], "start": [0.2], "end": [1.8]})
    start, end, key = evaluate.pick_stretch(dense, "t.wav", "whistle", 2.0, 2.0, margin=0.5,
                                            with_key=True)
    assert (start, end) == (0.0, 2.0) and key[0]


# ---------------------------------------------------------------- synthetic tapes
BUSY = dict(orca_active_seconds=1e9, orca_quiet_seconds=1e-9, whistles_per_second=2.0,
            speech_seconds=(1.0, 1.5), boat_fraction=1.0, boat_pass_seconds=(1.0, 2.0))


def test_synth_tape_is_seeded_and_its_truth_lies_inside():
    a, rows = synth.synth_tape(np.random.default_rng([5, 0]), 3.0, 44100, **BUSY)
    b, _ = synth.synth_tape(np.random.default_rng([5, 0]), 3.0, 44100, **BUSY)
    c, _ = synth.synth_tape(np.random.default_rng([6, 0]), 3.0, 44100, **BUSY)
    assert a.shape == (132300, 2) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a).max() <= 1.0 and 0.001 < np.sqrt(np.mean(a ** 2)) < 0.5
    truth = pd.DataFrame(rows)
    assert {"ocean", "whistle", "speech", "boat"} <= set(truth.kind) <= set(synth.KINDS)
    assert (truth.start >= 0).all() and (truth.end <= 3.0 + 1e-9).all()
    assert (truth.end > truth.start).all()


def test_whistle_energy_stays_below_8_khz():
    rng = np.random.default_rng(2)
    for _ in range(10):
        x = synth.whistle(rng, 44100, 0.6, 0.5)
        power = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / 44100)
        assert power[freqs < 8000].sum() > 0.85 * power.sum()


def test_generate_writes_identical_mp3s_for_the_same_seed(tmp_path):
    kwargs = dict(n_tapes=2, seconds=2.0, seed=1, **BUSY)
    truth = synth.generate(tmp_path / "a", **kwargs)
    again = synth.generate(tmp_path / "b", **kwargs)
    assert list(truth.columns) == ["file", "start", "end", "kind"] and truth.equals(again)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["2006-001A.mp3", "2006-001B.mp3"]
    for name in ("2006-001A.mp3", "2006-001B.mp3"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (truth.end <= 2.0 + 1e-9).all()
    with pytest.raises(InputError, match="n_tapes"):
        synth.generate(tmp_path / "c", n_tapes=0, seconds=2.0, seed=1)
    assert not (tmp_path / "c").exists()


# ---------------------------------------------------------------- figures and unit tracks
def test_figures_and_activation_wavs(tmp_path):
    assert figures.FIGURES == {"whistles.png": figures.whistles_figure,
                               "loss_curves.png": figures.loss_curves_figure,
                               "unit_whistle_correlation.png": figures.correlation_figure}
    assert figures.activation_wav_names(2) == ["activation_unit1.wav", "activation_unit2.wav"]
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(3000, 4))
    paths = figures.write_activation_wavs(tmp_path, acts, [2, 0], 2, 1000)
    track, rate = soundfile.read(paths[0], dtype="int16")
    assert rate == 1000 and len(track) == 3000 and track.min() == -32767 and track.max() == 32767
    assert np.corrcoef(track, acts[:, 2])[0, 1] > 0.999
    held, rate = soundfile.read(figures.write_activation_wavs(tmp_path, acts, [2], 1, 1000, 16)[0],
                                dtype="int16")
    assert rate == 16000 and np.array_equal(held, np.repeat(track, 16))
    stretch = figures.stretch(rng.normal(0, 0.1, 3 * RATE), acts, [2, 0], _truth(), "t.wav",
                              0.5, 2.5)
    assert stretch["tracks"].shape == (2000, 2) and len(stretch["audio"]) == 2 * RATE
    assert stretch["whistles"] == [(0.5, 1.5)]
    fig = figures.whistles_figure([stretch, {**stretch, "title": "speech"}], ["unit 2", "unit 0"])
    assert len(fig.axes) == 6
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [4.0, 3.5, 3.2]})
    assert figures.loss_curves_figure({"LSTM": history, "baseline": history}).axes
    r = {"LSTM": rng.uniform(-1, 1, 8), "baseline": rng.uniform(-1, 1, 32)}
    fig = figures.correlation_figure(r, threshold=0.3, highlight={"LSTM": [1]})
    assert len(fig.axes) == 2
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------------------- without annotations
def _two_tapes(n=4000, seed=0):
    """Scans of two recordings, 4 units with known spreads; tape a's whistles drive unit 1."""
    rng = np.random.default_rng(seed)
    spread = np.array([0.1, 1.0, 3.0, 0.5])
    scans = {name: rng.normal(size=(n, 4)) * spread for name in ("a.wav", "b.wav")}
    truth = pd.DataFrame({"file": ["a.mp3", "a.mp3", "a.mp3"], "kind": ["whistle", "whistle",
                                                                        "speech"],
                          "start": [0.5, 2.0, 3.0], "end": [1.5, 2.5, 3.5]})
    w = evaluate.scan_labels(truth, "a.wav", n)["whistle"]
    scans["a.wav"][:, 1] += 5 * w
    return scans, truth


def test_metrics_without_annotations_rank_by_variance_and_say_why():
    scans, _ = _two_tapes()
    metrics = evaluate.metrics(scans, evaluate.check_annotations(
        pd.DataFrame(columns=["file", "kind", "start", "end"])))
    assert metrics["annotated_files"] == [] and metrics["files"] == ["a.wav", "b.wav"]
    assert metrics["ranking"] == [2, 1, 3, 0]  # by variance: unit 1 is noise 1 and whistle steps
    assert metrics["ranking_by"] == evaluate.BY_VARIANCE
    assert metrics["activation_std"][2] == pytest.approx(3.0, rel=0.05)
    assert metrics["correlations"] == [None] * 4
    for key in ("best_unit", "best_r", "best_abs_r", "second_unit", "second_r", "whistle_share",
                "speech_share", "share_above_threshold", "best_unit_whistle_speech_separation"):
        assert metrics[key] is None, key
        assert metrics["not_measured"][key] == evaluate.NO_ANNOTATIONS
    assert metrics["detection"]["detected_by_second_missed_by_best"] is None
    assert metrics["not_measured"]["detection.detected_by_second_missed_by_best"].startswith(
        "no annotations: set orcas.annotations.path")
    assert metrics["ranges"] == {}
    json.dumps(metrics, allow_nan=False)  # JSON-ready: no NaN anywhere


def test_metrics_measure_only_the_annotated_recordings():
    scans, truth = _two_tapes()
    metrics = evaluate.metrics(scans, truth)
    assert metrics["annotated_files"] == ["a.wav"] and metrics["outputs"] == 8000
    assert metrics["ranking_by"] == evaluate.BY_CORRELATION and metrics["best_unit"] == 1
    only_a = evaluate.metrics({"a.wav": scans["a.wav"]}, truth)
    assert metrics["correlations"] == pytest.approx(only_a["correlations"])
    assert metrics["best_r"] > 0.8
    assert metrics["best_abs_r"] == pytest.approx(abs(metrics["best_r"]))
    assert metrics["whistle_share"] == pytest.approx(1.5 / 4, abs=0.01)
    assert metrics["best_unit_whistle_speech_separation"] == pytest.approx(1.0, abs=0.01)
    assert metrics["detection"]["n_whistles"] == 2 and metrics["not_measured"] == {}
    # annotations that name no held-out recording, or no whistle, or no speech
    elsewhere = truth.assign(file="c.mp3")
    metrics = evaluate.metrics(scans, elsewhere)
    assert metrics["best_unit"] is None and metrics["ranking_by"] == evaluate.BY_VARIANCE
    assert metrics["not_measured"]["best_abs_r"] == (
        "none of the held-out recordings (a.wav, b.wav) is annotated; the annotations cover c.mp3")
    metrics = evaluate.metrics(scans, truth[truth.kind == "speech"])
    assert metrics["not_measured"]["best_r"] == ("no whistle annotated in the held-out "
                                                 "recordings (a.wav)")
    assert metrics["speech_share"] > 0 and "speech_share" not in metrics["not_measured"]
    metrics = evaluate.metrics(scans, truth[truth.kind == "whistle"])
    assert metrics["best_unit"] == 1 and metrics["best_unit_whistle_speech_separation"] is None
    assert metrics["not_measured"] == {
        "best_unit_whistle_speech_separation": "no speech annotated in the held-out recordings"}


def test_a_ground_truth_table_without_annotation_columns_is_an_input_error():
    with pytest.raises(InputError, match=r"ground_truth\.csv: lacks the column\(s\) kind, start, "
                                         r"end of an annotation table"):
        evaluate.check_annotations(pd.DataFrame(columns=["file", "label"]), "ground_truth.csv")
    assert evaluate.recording_key("sub/tape 1.mp3") == evaluate.recording_key("sub/tape 1.wav")
    assert evaluate.recording_key("sub/tape.mp3") != evaluate.recording_key("other/tape.wav")


def test_scans_of_recordings_shorter_than_the_chunk_geometry(small_lstm):
    """Held-out recordings of any length from one window on: shorter than a warm-up, than one
    stretch, than one output; each equals the step-by-step scan and the metrics take them."""
    rng = np.random.default_rng(3)
    base = model.baseline_model(hidden=(16,), batch_size=1, seed=0)
    scans = {}
    for n in (16, 31, 32, 100, 700, 1500):
        audio = rng.normal(0, 0.2, n).astype(np.float32)
        for net in (small_lstm, base):
            fast = scan.scan_units(net, audio, warmup_steps=1024, chunks=32)
            slow = scan.scan_units_stepwise(net, audio)
            assert fast.shape == slow.shape == (data.Geometry().n_outputs(n), model.n_units(net))
            assert np.max(np.abs(fast - slow), initial=0) < 1e-4, n
        scans[f"t{n}.wav"] = scan.scan_units(small_lstm, audio, warmup_steps=1024, chunks=32)
    assert len(scans["t16.wav"]) == 0 and len(scans["t32.wav"]) == 1
    truth = pd.DataFrame({"file": ["t16.mp3", "t1500.mp3"], "kind": ["whistle"] * 2,
                          "start": [0.0, 0.02], "end": [0.001, 0.05]})
    metrics = evaluate.metrics(scans, truth)
    assert metrics["outputs"] == sum(len(s) for s in scans.values())
    assert metrics["annotated_files"] == ["t1500.wav", "t16.wav"]
    assert metrics["best_unit"] is not None
    empty = evaluate.metrics({"t16.wav": scans["t16.wav"]}, truth)
    assert empty["best_unit"] is None and empty["outputs"] == 0
    assert empty["not_measured"]["best_r"] == ("the annotated held-out recordings are shorter "
                                               "than one scan output")


def test_segment_span_is_what_a_recording_must_hold_to_train():
    assert data.segment_span(2.0, 16000, 32, 16) == 32000 + 16
    assert data.segment_span(0.5, 16000, 32, 16) == 8000 + 16
    assert data.segment_span(0.05, 16000, 32, 16) == 800 + 16  # 25 updates of 32 steps
    assert data.segment_span(0.01, 16000, 32, 16) == 160 + 16  # 5 updates
    assert data.SegmentBatches(_recordings(), batch_size=2, segment_seconds=0.0123,
                               seed=0).span == data.segment_span(0.0123)


def test_figures_without_annotations(tmp_path):
    from audiorepro import plots

    rng = np.random.default_rng(1)
    scans = {"a.wav": rng.normal(size=(3000, 4)), "b.wav": rng.normal(size=(1000, 4))}
    scans["b.wav"][400:600, 2] += 10  # unit 2 highest in b, 0.4-0.6 s
    scans["a.wav"][2000:2500, 2] -= 10  # and lowest in a, 2.0-2.5 s
    audio = {"a.wav": rng.normal(0, 0.1, 3 * RATE), "b.wav": rng.normal(0, 0.1, RATE)}
    metrics = evaluate.metrics(scans, pd.DataFrame(columns=["file", "kind", "start",
                                                                    "end"]))
    assert metrics["ranking"][0] == 2
    columns, labels, title = figures.whistles_columns("lstm", metrics, scans, pd.DataFrame(
        columns=["file", "kind", "start", "end"]), audio.__getitem__, 0.2)
    assert title.startswith("no annotations") and "activation variance" in title
    assert [c["title"].split(":")[0] for c in columns] == ["unit 2 highest", "unit 2 lowest"]
    assert columns[0]["title"].endswith("b.wav 0.4-0.6 s") and "a.wav 2." in columns[1]["title"]
    assert all(c["whistles"] == [] for c in columns)
    assert columns[0]["tracks"].shape == (200, 2) and columns[0]["tracks"][:, 0].min() > 5
    assert labels[0].startswith("lstm unit 2\nstd = ")
    fig = figures.whistles_figure(columns, labels, RATE, title=title)
    assert fig._suptitle.get_text() == title
    plots.save(fig, tmp_path / "whistles.png")
    # a recording shorter than the stretch is shown whole
    short = figures.activity_stretches({"b.wav": scans["b.wav"]}, audio.__getitem__, [2, 0], 5.0)
    assert short[0]["tracks"].shape[0] == 1000 and len(short[0]["audio"]) == RATE
    fig = figures.correlation_figure({"lstm": metrics["correlations"], "baseline": [None] * 4},
                                     threshold=0.3, highlight={"lstm": [2]},
                                     spread={"lstm": metrics["activation_std"],
                                             "baseline": [0.0, 1.0, 2.0, 0.5]})
    assert "no annotations" in fig.axes[0].get_title()
    assert "activation std" == fig.axes[1].get_ylabel()
    assert [p.get_height() for p in fig.axes[1].patches] == [0.0, 1.0, 2.0, 0.5]
    plots.save(fig, tmp_path / "unit_whistle_correlation.png")
    paths = figures.write_activation_wavs(tmp_path, np.concatenate(list(scans.values())),
                                          metrics["ranking"], 2, 1000, 16)
    for name in ("whistles.png", "unit_whistle_correlation.png", "activation_unit1.wav",
                 "activation_unit2.wav"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert [p.name for p in paths] == ["activation_unit1.wav", "activation_unit2.wav"]
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------------------- the study's contract
def test_geometry_places_the_outputs_as_the_original_scan():
    original = data.Geometry()
    assert (original.window, original.hop, original.keep_every, original.rate) == (16, 1, 16,
                                                                                   16000)
    assert [original.n_outputs(n) for n in (0, 15, 16, 30, 31, 46, 47, 4000)] == [
        0, 0, 0, 0, 1, 1, 2, 249]
    assert original.output_times(3).tolist() == [31 / 16000, 47 / 16000, 63 / 16000]
    assert original.outputs_per_second == 1000.0 and original.samples_per_output == 16
    apart = data.Geometry(window=16, hop=16, keep_every=1, rate=8000)
    assert apart.n_outputs(3200) == 200 and apart.outputs_per_second == 500.0
    assert apart.output_times(2).tolist() == [16 / 8000, 32 / 8000]
    with pytest.raises(AttributeError):
        original.hop = 2  # frozen: one geometry is passed around, never changed
    assert data.Geometry(16, 1, 16, 16000) == original


def test_to_float_reads_int16_as_soundfile_does(tmp_path):
    samples = np.random.default_rng(4).integers(-32768, 32768, 3000).astype(np.int16)
    samples[:3] = [-32768, 32767, 0]
    soundfile.write(tmp_path / "t.wav", samples, RATE, subtype="PCM_16")
    read, _ = soundfile.read(tmp_path / "t.wav", dtype="float32")
    mapped = data.to_float(data.open_recording(tmp_path / "t.wav", RATE))
    assert mapped.dtype == np.float32 and np.array_equal(mapped, read)
    wide = data.to_float(samples, np.float64)
    assert wide.dtype == np.float64 and np.array_equal(wide, samples / 32768.0)
    assert data.to_float(np.array([0.5, -1.0]), np.float64).tolist() == [0.5, -1.0]


MODEL_CFG = {"window": 16, "units": 64, "hidden": [512], "classes": 128}  # orcas.model
TRAINING_CFG = {"seed": 1, "batch_size": 32, "segment_seconds": 2.0, "bptt_steps": 32,
                "epochs": 6, "learning_rate": 0.001}


def test_build_chooses_the_network_by_the_network_key():
    lstm = model.build({**MODEL_CFG, "network": "lstm"}, TRAINING_CFG)
    assert _count(lstm) == 127_872 and model.has_lstm(lstm) and model.unit_layer(lstm).stateful
    assert lstm.input_shape == (32, None, 16) and lstm.name == "orcas_lstm"
    assert float(lstm.optimizer.learning_rate) == pytest.approx(0.001)
    assert not lstm.jit_compile
    baseline_cfg = {k: v for k, v in MODEL_CFG.items() if k != "units"}
    base = model.build({**baseline_cfg, "network": "baseline"}, TRAINING_CFG)
    assert _count(base) == 82_560 and not model.has_lstm(base)
    first, again = [(keras.utils.set_random_seed(1),  # as the rule does before building
                     model.build({**MODEL_CFG, "network": "lstm"}, TRAINING_CFG))[1]
                    for _ in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), again.get_weights()))
    with pytest.raises(ValueError, match="orcas network 'gru': expected one of lstm, baseline"):
        model.build({**MODEL_CFG, "network": "gru"}, TRAINING_CFG)


class _Section:
    """What a Snakemake job's input, output, params and wildcards offer: names, items and
    iteration over the values."""

    def __init__(self, **named):
        self.__dict__.update(named)

    def items(self):
        return self.__dict__.items()

    def __iter__(self):
        return iter(self.__dict__.values())


def _tapes(folder, n=3, seconds=0.5, seed=5):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f"tape{i}.wav" for i in range(n)]
    for name in names:
        soundfile.write(folder / name, (rng.normal(0, 0.1, int(seconds * RATE)) * 32767).astype(
            np.int16), RATE, subtype="PCM_16")
    split = pd.DataFrame({"file": names, "wav": names, "seconds": seconds,
                          "split": ["train", "heldout", "train"][:n]})
    split.to_csv(folder.parent / "split.csv", index=False)
    return split


def test_training_recordings_and_stream_of_the_rule(tmp_path):
    from audiorepro.orcas import train

    _tapes(tmp_path / "audio")
    rows, recordings = train.training_recordings(tmp_path / "split.csv", tmp_path / "audio", RATE)
    assert rows.wav.tolist() == ["tape0.wav", "tape2.wav"]
    assert list(recordings) == [str(tmp_path / "audio" / w) for w in rows.wav]
    settings = {**TRAINING_CFG, "batch_size": 3, "segment_seconds": 0.05, "seed": 4}
    stream = train.segment_stream(recordings, {**MODEL_CFG, "classes": 64}, settings, RATE)
    same = batches.segment_stream(recordings, batch_size=3, segment_seconds=0.05, seed=4,
                                  bptt_steps=32, window=16, rate=RATE, mu=63)
    assert len(stream) == len(same) == 25 and stream.batches.span == same.batches.span
    for a, b in zip(stream[7], same[7]):
        assert np.array_equal(a, b)
    assert stream[7][1].max() <= 63


def test_the_train_and_scan_rules_on_tiny_tapes(tmp_path):
    from audiorepro.orcas import train

    split = _tapes(tmp_path / "audio")
    truth = pd.DataFrame({"file": ["tape1.mp3"], "kind": ["whistle"], "start": [0.1],
                          "end": [0.3]})
    truth.to_csv(tmp_path / "annotations.csv", index=False)
    models = tmp_path / "models" / "lstm"
    models.mkdir(parents=True)
    m = {"window": 16, "units": 4, "hidden": [8], "classes": 128}
    t = {"seed": 3, "batch_size": 2, "segment_seconds": 0.02, "bptt_steps": 32, "epochs": 1,
         "learning_rate": 0.001}
    job = SimpleNamespace(
        rule="orcas_train", threads=1, log=[], wildcards=_Section(network="lstm", seed="3"),
        input=_Section(audio=str(tmp_path / "audio"), split=str(tmp_path / "split.csv")),
        output=_Section(model=str(models / "model.keras"), history=str(models / "history.csv"),
                        metrics=str(models / "metrics.json")),
        params=_Section(rate=RATE, model=m, training=t, backend="tensorflow"))
    train.run(job)
    trained = json.loads((models / "metrics.json").read_text())
    assert set(trained) == {"study", "network", "loss", "training_recordings", "updates_per_epoch",
                            "segment_samples", "diverged", "divergence", "epochs_run",
                            "best_epoch", "monitor", "best_monitored", "resumed_from_epoch",
                            "parameters", "training_seconds", "device"}
    assert trained["network"] == "lstm" and trained["monitor"] == "loss"
    assert trained["training_recordings"] == 2 and trained["updates_per_epoch"] == 10
    assert trained["segment_samples"] == 336 and trained["epochs_run"] == 1
    assert trained["parameters"]["total"] == _count(model.build({**m, "network": "lstm"}, t))
    scan_settings = {"hop": 1, "keep_every": 16, "warmup_steps": 64, "chunks": 2}
    evaluation = {"threshold": 0.3, "top_units": 2, "detection_quantile": 0.95,
                  "figure_seconds": 6.0}
    job = SimpleNamespace(
        rule="orcas_scan", threads=1, log=[], wildcards=job.wildcards,
        input=_Section(audio=job.input.audio, split=job.input.split,
                       annotations=str(tmp_path / "annotations.csv"), model=job.output.model,
                       history=job.output.history, training=job.output.metrics),
        output=_Section(scans=str(models / "scans.npz"), metrics=str(models / "units.json")),
        params=_Section(rate=RATE, model=m, scan=scan_settings, evaluation=evaluation,
                        annotations="synthetic", backend="tensorflow"))
    scan.run(job)
    units = json.loads((models / "units.json").read_text())
    scans = dict(np.load(models / "scans.npz"))
    assert list(scans) == ["tape1.wav"] and scans["tape1.wav"].shape == (499, 4)
    net = keras.saving.load_model(job.input.model, compile=False)
    tape = data.open_recording(tmp_path / "audio" / "tape1.wav", RATE)
    assert np.array_equal(scans["tape1.wav"], scan.scan_units(net, tape, warmup_steps=64,
                                                               chunks=2))
    expected = evaluate.metrics(scans, truth, threshold=0.3, top=2, quantile=0.95)
    assert {k: units[k] for k in expected} == json.loads(json.dumps(expected))
    assert set(units) == {"study", "network", *expected, "annotations", "diverged", "loss",
                          "scan_audio_seconds", "scan_seconds", "scan_realtime",
                          "stepwise_realtime"}
    assert units["annotations"] == "synthetic" and units["diverged"] is False
    assert units["loss"]["epochs"] == 1 and units["scan_audio_seconds"] == 0.5
    assert units["files"] == split.wav[split.split == "heldout"].tolist()


def test_annotation_table_of_each_source(tmp_path, caplog):
    from audiorepro.orcas import annotations

    raw = tmp_path / "raw"
    _tapes(raw, n=2)
    converted = pd.DataFrame({"file": ["tape0.wav"], "wav": ["tape0.wav"], "seconds": [0.5]})
    settings = {"path": None, "format": "auto", "label_column": None,
                "whistle_labels": ["whistle"], "speech_labels": ["speech"]}
    truth = pd.DataFrame({"file": ["tape0.mp3", "tape1.mp3", "tape0.mp3"],
                          "start": [0.0, 0.1, 0.2], "end": [0.1, 0.2, 0.3],
                          "kind": ["whistle", "whistle", "ocean"], "extra": [1, 2, 3]})
    # the ground truth's own names (mp3) are not the converted ones: nothing is left out by name
    truth.to_csv(tmp_path / "truth.csv", index=False)
    table, total, made = annotations.annotation_table(settings, converted.assign(
        file=["tape0.mp3"]), raw, True, tmp_path / "truth.csv")
    assert list(table.columns) == ["file", "kind", "start", "end"] and total == 3
    assert table.file.tolist() == ["tape0.mp3", "tape0.mp3"] and "ground truth" in made
    assert "1 annotation row(s) of 1 recording(s) left out of the run dropped" in caplog.text
    table, total, made = annotations.annotation_table(settings, converted, raw, False, None)
    assert len(table) == 0 and total == 0 and made.startswith("no annotations")
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "tape0.txt").write_text("0.1\t0.2\twhistle\n0.3\t0.4\tspeech\n")
    (labels / "tape1.txt").write_text("0.1\t0.2\twhistle\n")
    found = {**settings, "path": str(labels)}
    table, total, made = annotations.annotation_table(found, converted, raw, True, None)
    assert [tuple(r) for r in table.itertuples(index=False)] == [
        ("tape0.wav", "whistle", 0.1, 0.2), ("tape0.wav", "speech", 0.3, 0.4)]
    assert total == 3 and made == f"2 table(s) at {labels}"
    out = tmp_path / "out"
    job = SimpleNamespace(
        rule="orcas_annotations", log=[],
        input=_Section(raw=str(raw), truth=str(tmp_path / "truth.csv"),
                       table=str(tmp_path / "convert.csv"), tables=[]),
        output=_Section(table=str(out / "annotations.csv"), coverage=str(out / "coverage.json")),
        params=_Section(annotations=found, synthetic=False,
                        skip_key="orcas.audio.short_recordings"))
    out.mkdir()
    converted.to_csv(job.input.table, index=False)
    annotations.run(job)
    assert pd.read_csv(job.output.table).equals(table)
    report = json.loads((out / "coverage.json").read_text())
    assert report["kept"] == 2 and report["total"] == 3 and len(report["warnings"]) == 1
