"""The sorting study's library: songs and controls, the jigsaw sampler, the split protocols, the
sorter model, its evaluation and its figures."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from audiorepro import audio, plots
from audiorepro.errors import InputError
from audiorepro.sorting import data, evaluate, synth, verdicts

RATE = 16000


@pytest.fixture(scope="module")
def ramp_songs():
    """Songs whose sample value is its own position plus 100000 times the song index: any cut
    can be checked against where it came from."""
    lengths = [3000, 5000, 4000, 6000]
    return data.Songs.from_arrays([100_000 * i + np.arange(n) for i, n in enumerate(lengths)])


# --- songs and controls ---------------------------------------------------------------------------


def test_synth_song_is_seeded_structured_and_stereo():
    a, truth = synth.synth_song(np.random.default_rng(3), 4.0, RATE, channels=2)
    b, _ = synth.synth_song(np.random.default_rng(3), 4.0, RATE, channels=2)
    c, other = synth.synth_song(np.random.default_rng(4), 4.0, RATE, channels=2)
    assert a.shape == (4 * RATE, 2) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.max(np.abs(a)) <= 1.0 and np.all(np.isfinite(a))
    assert np.max(np.abs(a[:, 0] - a[:, 1])) > 0.01  # panned voices: the channels differ
    assert 100 <= truth["bpm"] <= 150 and truth["kicks"] > 0
    assert truth["sections"].split(",")[0] == "intro"
    mono, _ = synth.synth_song(np.random.default_rng(3), 4.0, RATE, channels=1)
    assert mono.shape == (4 * RATE,)


def test_notes_attack_then_decay():
    onsets = np.array([0, 8000])
    x = synth.note_voice(16000, RATE, onsets, np.array([0.4, 0.4]), np.array([440.0, 660.0]),
                         np.array([1.0, 0.5]), [1.0, 0.5], attack=0.01, decay=0.1)
    frames = np.sqrt((x.reshape(-1, 400) ** 2).mean(axis=1))  # 25 ms frames
    assert np.abs(x[:40]).max() < 0.5 * np.abs(x[160:320]).max()  # the 10-ms attack
    assert np.all(np.diff(frames[:16]) < 0)  # the decay
    assert np.all(frames[16:20] == 0)  # gated after 0.4 s
    assert frames[20] > frames[15]  # the next note starts
    late = synth.note_voice(100, RATE, np.array([50]), np.array([1.0]), np.array([440.0]),
                            np.array([1.0]), [1.0], 0.001, 0.1)
    assert np.all(late[:50] == 0)  # silence before the first onset


def test_songs_have_a_beat_that_noise_lacks():
    """The frame energy of a song swings and repeats a beat later; noise's is flat."""
    x, truth = synth.synth_song(np.random.default_rng(0), 8.0, RATE, channels=1)
    frame = RATE // 100
    energy = (x[: len(x) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1)
    beat = 60.0 / truth["bpm"] * 100  # frames per beat
    spread = energy.std() / energy.mean()
    noise = synth.white_noise(8.0, RATE, 0)
    n_energy = (noise[: len(noise) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1)
    assert spread > 0.5 > n_energy.std() / n_energy.mean()
    centred = energy - energy.mean()
    auto = np.correlate(centred, centred, "full")[len(centred) - 1 :]
    assert auto[int(round(beat))] > 0.2 * auto[0]  # energy repeats a beat later


def test_song_generator_writes_mp3(tmp_path):
    if not hasattr(audio, "write_mp3"):
        pytest.skip("audio.write_mp3 is not there yet")
    truth = synth.generate(tmp_path / "songs", n_songs=2, seconds=1.0, seed=1)
    assert list(truth.file) == ["song_000.mp3", "song_001.mp3"]
    assert sorted(p.name for p in (tmp_path / "songs").iterdir()) == list(truth.file)
    again = synth.generate(tmp_path / "again", n_songs=2, seconds=1.0, seed=1)
    first, second = (tmp_path / d / "song_001.mp3" for d in ("songs", "again"))
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(truth, again)


def test_tiled_tone_has_a_36_sample_cycle_at_444_hz():
    tone, true = synth.tiled_tone(1.0, RATE, 440.0)
    assert synth.tone_period(RATE, 440.0) == 36
    assert true == pytest.approx(444.444, abs=1e-3)
    assert np.array_equal(tone[36:], tone[:-36]) and not np.array_equal(tone[35:], tone[:-35])
    spectrum = np.abs(np.fft.rfft(tone[: 36 * 400]))
    assert np.fft.rfftfreq(36 * 400, 1 / RATE)[spectrum.argmax()] == pytest.approx(444.44, abs=0.5)
    sine = synth.sine_tone(1.0, RATE, 440.0)
    assert np.array_equal(sine[400:], sine[:-400]) and not np.array_equal(sine[36:], sine[:-36])
    late = synth.sine_tone(0.01, RATE, 440.0, start=7200 * RATE)  # two hours in: phase exact
    assert np.allclose(late, sine[:160], atol=1e-6)


def test_white_noise_statistics_and_seed():
    x = synth.white_noise(10.0, RATE, seed=5, amplitude=0.8)
    assert len(x) == 10 * RATE and np.abs(x).max() <= 0.8
    assert abs(x.mean()) < 0.005
    assert x.std() == pytest.approx(0.8 / math.sqrt(3), rel=0.01)  # uniform
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.01  # white
    assert np.array_equal(x, synth.white_noise(10.0, RATE, seed=5))
    assert not np.array_equal(x, synth.white_noise(10.0, RATE, seed=6))


@pytest.mark.parametrize("kind", synth.CONTROLS)
def test_write_control_matches_the_in_memory_signal(tmp_path, kind):
    seconds = 70.0  # more than one noise block
    truth = synth.write_control(tmp_path / f"{kind}.wav", kind, seconds=seconds, rate=RATE, seed=2)
    samples, rate = audio.read_audio(tmp_path / f"{kind}.wav", rate=RATE)
    expected = {"noise": lambda: synth.white_noise(seconds, RATE, 2),
                "tone": lambda: synth.tiled_tone(seconds, RATE)[0],
                "sine": lambda: synth.sine_tone(seconds, RATE)}[kind]()
    assert np.array_equal(samples, audio.to_int16(expected))
    assert truth["period_samples"] == (36 if kind == "tone" else None)
    with pytest.raises(InputError, match="kind"):
        synth.write_control(tmp_path / "x.wav", "pink", seconds=1.0, rate=RATE)


# --- the sampler ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", data.PAD_MODES)
def test_chunks_come_in_order_from_one_song(ramp_songs, mode):
    x, label, draws = data.jigsaw_sample(ramp_songs, 500, 4, 50, mode, (10, 40),
                                         np.random.default_rng(0))
    assert x.shape == (500, 4, 50) and label.shape == (500, 4) and x.dtype == np.float32
    values = data.restore_order(x, label).astype(np.int64)
    song = values // 100000
    assert np.all(song == draws.song[:, None, None])
    position = values % 100000
    assert np.all(np.diff(position, axis=2) == 1)  # each chunk is contiguous
    first = position[:, :, 0]
    gaps = np.diff(first, axis=1) - 50  # the pad between consecutive chunks
    assert np.all(first[:, 0] == draws.start) and np.array_equal(gaps, draws.pads)
    assert np.all(position[:, -1, -1] < ramp_songs.lengths[draws.song])  # never past the end
    if mode == "fixed":
        assert np.all(gaps == 40)
    elif mode == "random_constant":
        assert np.all(gaps == gaps[:, :1]) and len(np.unique(gaps[:, 0])) > 20
    else:
        assert gaps.min() >= 10 and gaps.max() <= 40 and np.mean(gaps[:, 0] != gaps[:, 1]) > 0.9


def test_label_puts_the_shuffled_chunks_back(ramp_songs):
    x, label, draws = data.jigsaw_sample(ramp_songs, 2000, 3, 20, "random_per_gap", (0, 5),
                                         np.random.default_rng(1))
    restored = data.restore_order(x, label)
    starts = restored[:, :, 0]
    assert np.all(np.diff(starts, axis=1) > 0)  # song order = increasing position
    assert np.array_equal(np.sort(label, axis=1), np.tile(np.arange(3), (2000, 1)))
    counts = pd.Series(["".join(map(str, row)) for row in label]).value_counts()
    assert len(counts) == 6 and counts.min() > 250  # every permutation, about equally often
    assert np.mean(label[:, 0] == 0) < 0.5  # really shuffled
    # x[i, p] is original chunk argsort(label)[p]
    assert np.array_equal(x[np.arange(2000), 0], restored[np.arange(2000), np.argsort(label)[:, 0]])


def test_sampler_is_seeded_and_batch_independent_of_cut(ramp_songs):
    a, b = (data.jigsaw_sample(ramp_songs, 64, 3, 30, "random_per_gap", (0, 20),
                               np.random.default_rng(9)) for _ in range(2))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    rows = np.array([5, 0, 63])
    part, part_label = data.cut(ramp_songs, a[2], rows)
    assert np.array_equal(part, a[0][rows]) and np.array_equal(part_label, a[1][rows])


def test_sampler_refuses_songs_too_short(ramp_songs):
    # 3 chunks of 900 + 2 pads of up to 200 = 3100 > song_000's 3000 samples
    with pytest.raises(InputError, match="song_000"):
        data.jigsaw_sample(ramp_songs, 10, 3, 900, "random_per_gap", (0, 200),
                           np.random.default_rng(0))
    with pytest.raises(InputError, match="n_chunks"):
        data.jigsaw_sample(ramp_songs, 10, 1, 10, "fixed", (0, 0), np.random.default_rng(0))
    with pytest.raises(InputError, match="pad_mode"):
        data.jigsaw_sample(ramp_songs, 10, 2, 10, "random", (0, 0), np.random.default_rng(0))
    with pytest.raises(InputError, match="pad_range"):
        data.jigsaw_sample(ramp_songs, 10, 2, 10, "fixed", (5, 1), np.random.default_rng(0))


def test_one_signal_is_one_song():
    x, label, draws = data.jigsaw_sample(np.arange(1000, dtype=float), 8, 2, 10, "fixed", (3, 3),
                                         np.random.default_rng(0))
    restored = data.restore_order(x, label)
    assert np.all(restored[:, 1, 0] - restored[:, 0, 0] == 13) and np.all(draws.song == 0)


# --- the protocols --------------------------------------------------------------------------------

SAMPLING = dict(n_chunks=3, chunk_len=40, pad_mode="random_per_gap", pad_range=(0, 20))


def test_clean_protocol_keeps_songs_apart():
    songs = data.Songs.from_arrays([np.zeros(2000, np.int16)] * 20)
    sets = data.sample_sets(songs, protocol="clean", n_samples=1000, valid_fraction=0.1, seed=3,
                            **SAMPLING)
    valid_songs = set(sets.songs.song[sets.songs.split == "valid"])
    assert len(valid_songs) == 2 and set(sets.valid.song) <= valid_songs
    assert not set(sets.train.song) & valid_songs
    assert (len(sets.train), len(sets.valid)) == (900, 100)
    assert not data.overlapping(sets.train, sets.valid, songs).any()
    again = data.sample_sets(songs, protocol="clean", n_samples=1000, valid_fraction=0.1, seed=3,
                             **SAMPLING)
    assert np.array_equal(again.valid.start, sets.valid.start)
    other = data.sample_sets(songs, protocol="clean", n_samples=1000, valid_fraction=0.1, seed=4,
                             **SAMPLING)
    assert not np.array_equal(other.train.start[:50], sets.train.start[:50])


def test_original_protocol_shares_songs_and_audio():
    songs = data.Songs.from_arrays([np.zeros(2000, np.int16)] * 5)
    sets = data.sample_sets(songs, protocol="original", n_samples=1000, valid_fraction=0.1, seed=3,
                            **SAMPLING)
    assert (len(sets.train), len(sets.valid)) == (900, 100)
    assert set(sets.train.song) & set(sets.valid.song)
    assert (sets.songs.split == "both").all()
    assert data.overlapping(sets.train, sets.valid, songs).mean() > 0.9  # short songs: a leak


def test_overlap_is_exact():
    songs = data.Songs.from_arrays([np.zeros(1000), np.zeros(1000)])

    def draws(song, start):
        n = len(song)
        return data.Draws(np.array(song), np.array(start), np.zeros((n, 1), np.int64),
                          np.tile([0, 1], (n, 1)), 10)

    train = draws([0, 1], [100, 0])  # spans [100, 120) in song 0, [0, 20) in song 1
    valid = draws([0, 0, 0, 1, 1], [119, 120, 81, 19, 980])
    assert data.overlapping(train, valid, songs).tolist() == [True, False, True, True, False]


def test_split_needs_two_songs():
    with pytest.raises(InputError, match="songs"):
        data.song_split(["only"], 0.1, 0)


def test_batches_are_a_function_of_seed_epoch_and_index(ramp_songs):
    draws = data.draw_samples(ramp_songs, 100, 2, 10, "fixed", (5, 5), np.random.default_rng(0))
    n_batches, make = data.batch_maker(ramp_songs, draws, 32, seed=7)
    assert n_batches == 4
    x0, y0 = make(0, 1)
    assert x0.shape == (32, 2, 10) and make(0, 3)[0].shape == (4, 2, 10)
    _, make_again = data.batch_maker(ramp_songs, draws, 32, seed=7)
    make_again(1, 0)
    assert np.array_equal(make_again(0, 1)[0], x0)
    assert not np.array_equal(make(1, 1)[0], x0)
    epoch = np.concatenate([make(2, i)[1] for i in range(n_batches)])
    assert len(epoch) == 100 and sorted(map(tuple, epoch)) == sorted(map(tuple, draws.label))


# --- the model ------------------------------------------------------------------------------------


def test_model_shapes_and_parameter_counts():
    from audiorepro.sorting import model
    from audiorepro.training import parameter_counts

    small = model.sorter_model(3, 160, 16, (64, 64), (64, 64, 32))
    # (160+1)64 + (64+1)64 + (64+1)16 + (48+1)64 + (64+1)64 + (64+1)32 + (32+1)9
    #   + 4 (64 + 64 + 16 + 64 + 64 + 32)
    assert parameter_counts(small)["total"] == 26_393 == model.parameter_count(
        3, 160, 16, (64, 64), (64, 64, 32))
    assert small.output_shape == (None, 3, 3)
    # the post's sizes at 0.1 s (1600 samples), n = 3, encoding 50
    paper = model.sorter_model(3, 1600, 50)
    assert parameter_counts(paper) == {"total": 4_023_059, "trainable": 4_014_559,
                                      "non_trainable": 8_500}
    assert model.parameter_count(3, 1600, 50) == 4_023_059
    bare = model.sorter_model(2, 8, 2, (4,), (4,), batch_norm=False)
    assert parameter_counts(bare)["total"] == model.parameter_count(
        2, 8, 2, (4,), (4,), False) == 9 * 4 + 5 * 2 + 5 * 4 + 5 * 4


MODEL = {"batch_norm": True, "encoder_hidden": [64, 64], "learning_rate": 0.001,
         "sorter_hidden": [64, 64, 32]}  # the default config's sorting.model
POINT = {"dataset": "noise", "protocol": "clean", "sample_length": 0.01, "n_chunks": 3,
         "pad_mode": "random_per_gap", "encoding": 16}


def test_build_maps_the_settings_to_the_model():
    import keras

    from audiorepro.sorting import model, train
    from audiorepro.training import parameter_counts

    settings = train.model_settings(MODEL, POINT, 160)
    assert settings == {**MODEL, "n_chunks": 3, "encoding": 16, "chunk_len": 160}
    net = model.build(settings, {"batch_size": 64, "epochs": 4, "seed": 0})
    assert parameter_counts(net)["total"] == 26_393  # as test_model_shapes_and_parameter_counts
    assert net.input_shape == (None, 3, 160) and net.output_shape == (None, 3, 3)
    assert float(keras.ops.convert_to_numpy(net.optimizer.learning_rate)) == pytest.approx(1e-3)
    bare = model.build({**settings, "batch_norm": False, "learning_rate": 0.01})
    assert parameter_counts(bare)["total"] == model.parameter_count(3, 160, 16, (64, 64),
                                                                    (64, 64, 32), False)
    assert float(keras.ops.convert_to_numpy(bare.optimizer.learning_rate)) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="chunk_len, encoding"):
        model.build({k: v for k, v in settings.items() if k not in ("chunk_len", "encoding")})


def test_model_trains_and_rows_are_permutation_distributions(ramp_songs):
    import keras

    from audiorepro.sorting import model

    keras.utils.set_random_seed(0)
    x, y, _ = data.jigsaw_sample(ramp_songs, 64, 3, 16, "random_per_gap", (0, 8),
                                 np.random.default_rng(0))
    net = model.sorter_model(3, 16, 4, (8, 8), (8, 8, 4))
    history = net.fit((x - x.mean()) / x.std(), y, batch_size=16, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert set(history.history) >= {"loss", "accuracy", "permutation_accuracy"}
    p = net.predict(x[:5], verbose=0)
    assert p.shape == (5, 3, 3) and np.allclose(p.sum(axis=-1), 1.0, atol=1e-5)
    assert model.encoder_of(net).output.shape == (None, 3, 4)


# --- the training rule ----------------------------------------------------------------------------

SAMPLING_CFG = {"n_samples": 120, "pad_seconds": [0.0, 0.001], "seed": 0, "valid_fraction": 0.25}
TINY_MODEL = {"batch_norm": True, "encoder_hidden": [8, 8], "learning_rate": 0.001,
              "sorter_hidden": [8, 8, 4]}


def _job(rule, inputs=None, outputs=None, params=None, wildcards=None):
    """A stand-in for Snakemake's job object, of Snakemake's own containers."""
    from types import SimpleNamespace

    from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params, Wildcards

    return SimpleNamespace(rule=rule, input=InputFiles(fromdict=inputs or {}),
                           output=OutputFiles(fromdict=outputs or {}),
                           params=Params(fromdict=params or {}),
                           wildcards=Wildcards(fromdict=wildcards or {}), log=Log(), threads=1)


@pytest.mark.parametrize("protocol, songs, shared", [("clean", {"train": 3, "valid": 1}, 0.0),
                                                     ("original", {"both": 4}, None)])
def test_draw_sets_and_run_details(ramp_songs, protocol, songs, shared):
    from audiorepro.sorting import train

    point = {**POINT, "sample_length": 0.001, "protocol": protocol}
    chunk_len, sets = train.draw_sets(ramp_songs, point, SAMPLING_CFG, RATE)
    assert chunk_len == 16
    same = data.sample_sets(ramp_songs, protocol=protocol, n_samples=120, valid_fraction=0.25,
                            n_chunks=3, chunk_len=16, pad_mode="random_per_gap", pad_range=(0, 16),
                            seed=0)
    assert np.array_equal(sets.train.start, same.train.start)
    assert np.array_equal(sets.valid.pads, same.valid.pads)
    details = train.run_details(ramp_songs, sets, run="p", seed=4, sampling_seed=0,
                                chunk_len=chunk_len)
    assert list(details) == ["run", "seed", "sampling_seed", "chunk_samples", "train_samples",
                             "valid_samples_sharing_training_audio", "songs"]
    assert details["train_samples"] == len(sets.train) == 90 and details["songs"] == songs
    leak = details["valid_samples_sharing_training_audio"]
    assert leak == shared if shared is not None else 0.0 < leak <= 1.0


def test_predict_valid_scores_the_validation_samples(ramp_songs):
    from audiorepro.sorting import model, train

    chunk_len, sets = train.draw_sets(ramp_songs, {**POINT, "sample_length": 0.001}, SAMPLING_CFG,
                                      RATE)
    net = model.build(train.model_settings(TINY_MODEL, {**POINT, "encoding": 4}, chunk_len))
    probabilities, labels = train.predict_valid(net, ramp_songs, sets.valid, 16)
    assert probabilities.shape == (30, 3, 3) and np.allclose(probabilities.sum(-1), 1, atol=1e-5)
    assert np.array_equal(labels, data.cut(ramp_songs, sets.valid)[1])


def test_train_run_fits_scores_and_writes_the_metrics_file(tmp_path):
    import json

    from audiorepro.sorting import controls, model, train

    controls_dir, music = tmp_path / "controls", tmp_path / "music"
    controls_dir.mkdir(), music.mkdir()
    table = controls.write_controls(controls_dir, seconds=4.0, rate=RATE, seed=2, frequency=440.0)
    assert table.file.tolist() == list(data.CONTROL_FILES.values())
    out = tmp_path / "point" / "seed1"
    job = _job("sorting_train", {"music": str(music), "controls": str(controls_dir)},
               {"model": str(out / "model.keras"), "history": str(out / "history.csv"),
                "metrics": str(out / "metrics.json")},
               {"point": {**POINT, "sample_length": 0.001, "encoding": 4}, "rate": RATE,
                "control_segments": 4, "sampling": SAMPLING_CFG, "model": TINY_MODEL,
                "training": {"batch_size": 16, "epochs": 1, "seed": 1}, "backend": "tensorflow"},
               {"point": "noise_tiny", "seed": "1"})
    made = train.run(job)
    written = json.loads((out / "metrics.json").read_text())
    assert set(written) == set(made) and written["accuracy"] == made["accuracy"]
    assert list(made)[:6] == list(POINT) and list(made)[-1] == "device"
    assert {"run": "noise_tiny", "seed": 1, "sampling_seed": 0, "chunk_samples": 16,
            "train_samples": 90, "songs": {"train": 3, "valid": 1}, "n_valid": 30,
            "epochs_run": 1, "monitor": "val_accuracy"}.items() <= written.items()
    assert written["parameters"]["total"] == model.parameter_count(3, 16, 4, (8, 8), (8, 8, 4))
    assert (out / "model.keras").is_file() and len(pd.read_csv(out / "history.csv")) == 1
    assert not (out / "backup").exists()


def test_collect_run_writes_the_tables_and_the_claims(tmp_path):
    import json

    from audiorepro.sorting import collect

    paths = []
    for i, run in enumerate([_run("music", 2, "random_per_gap", 0.8),
                             _run("music", 3, "random_per_gap", 0.6),
                             _run("noise", 3, "random_per_gap", 0.34)]):
        paths.append(tmp_path / f"m{i}.json")
        paths[-1].write_text(json.dumps({**run, "run": f"r{i}"}))
    job = _job("sorting_collect", {"metrics": [str(p) for p in paths]},
               {"table": str(tmp_path / "grid.csv"), "seeds": str(tmp_path / "seeds.csv"),
                "claims": str(tmp_path / "claims.json")})
    judged = collect.run(job)
    assert pd.read_csv(tmp_path / "grid.csv").run.tolist() == ["r0", "r1", "r2"]
    assert len(pd.read_csv(tmp_path / "seeds.csv")) == 3
    claims = json.loads((tmp_path / "claims.json").read_text())
    assert list(claims) == judged.id.tolist() == [f"S{i}" for i in range(1, 8)]
    assert "id" not in claims["S1"] and claims["S1"]["verdict"] == judged.verdict.iloc[0]


def test_permutation_accuracy_metric():
    from audiorepro.sorting import model

    y = np.array([[0, 1, 2], [2, 0, 1]])
    p = np.eye(3)[[[0, 1, 2], [2, 1, 1]]].astype("float32")
    assert np.asarray(model.permutation_accuracy(y, p)).tolist() == [1.0, 0.0]


# --- evaluation -----------------------------------------------------------------------------------


def test_wilson_interval_known_values():
    low, high = evaluate.wilson(50, 100)
    assert (low, high) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    low, high = evaluate.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    with pytest.raises(InputError):
        evaluate.wilson(11, 10)


def test_sorting_metrics_counts():
    labels = np.tile([[0, 1, 2]], (300, 1))
    predicted = labels.copy()
    predicted[:100, 0] = 1  # 100 of 900 places wrong, 100 of 300 permutations wrong
    metrics = evaluate.sorting_metrics(np.eye(3)[predicted], labels)
    assert metrics["accuracy"] == pytest.approx(800 / 900)
    assert metrics["permutation_accuracy"] == pytest.approx(200 / 300)
    assert metrics["chance"] == pytest.approx(1 / 3) and metrics["permutation_chance"] == 1 / 6
    assert metrics["place_accuracy"] == pytest.approx([2 / 3, 1, 1])
    assert metrics["valid_permutations"] == pytest.approx(200 / 300)
    assert (metrics["n_valid"], metrics["positions"]) == (300, 900)
    assert metrics["ci_low"] < metrics["ci_low_places"] < metrics["accuracy"]  # samples: wider
    assert metrics["ci_low"] == pytest.approx(evaluate.wilson(800 / 3, 300)[0])
    assert metrics["above_chance"]
    rng = np.random.default_rng(0)
    guess = evaluate.sorting_metrics(rng.random((3000, 3, 3)), rng.integers(0, 3, (3000, 3)))
    assert guess["ci_low"] < 1 / 3 < guess["ci_high"] and not guess["above_chance"]


def test_metrics_carries_the_grid_point():
    point = {"dataset": "tone", "sample_length": 0.01, "n_chunks": 2, "pad_mode": "fixed",
             "encoding": 8, "protocol": "clean"}
    metrics = evaluate.metrics(point, np.eye(2)[[[0, 1], [1, 0]]], np.array([[0, 1], [0, 1]]),
                               seconds=1.5)
    assert metrics["accuracy"] == 0.5 and metrics["seconds"] == 1.5 and metrics["dataset"] == "tone"
    assert list(metrics)[:6] == list(point) and list(metrics)[-1] == "seconds"
    assert len(evaluate.collect([metrics])) == 1
    with pytest.raises(InputError, match="encoding"):
        evaluate.metrics({k: v for k, v in point.items() if k != "encoding"}, None, None)


def _run(dataset, n, mode, accuracy, protocol="clean", length=0.01, n_valid=400, seed=0):
    low, high = evaluate.wilson(accuracy * n_valid, n_valid)
    return {"seed": seed, "dataset": dataset, "sample_length": length, "n_chunks": n, "pad_mode": mode,
            "encoding": 16, "protocol": protocol, "accuracy": accuracy, "ci_low": low,
            "ci_high": high, "chance": 1 / n, "above_chance": low > 1 / n,
            "permutation_accuracy": 0.0, "permutation_chance": 1 / math.factorial(n),
            "n_valid": n_valid, "positions": n_valid * n, "place_accuracy": [0.5] * n,
            "seconds": 3.0}


def test_collect_makes_one_sorted_table():
    runs = [_run("tone", 3, "random_constant", 0.6), _run("noise", 3, "random_per_gap", 0.34)]
    table = evaluate.collect(runs)
    assert list(table.columns[:6]) == evaluate.GRID_KEYS
    assert {"accuracy", "ci_low", "ci_high", "chance", "above_chance", "skill",
            "seconds"} <= set(table)
    assert "place_accuracy" not in table  # lists stay in the metrics files
    assert list(table.dataset) == ["noise", "tone"]
    assert table.skill.iloc[1] == pytest.approx((0.6 - 1 / 3) / (2 / 3))
    with pytest.raises(InputError, match="twice"):
        evaluate.collect(runs + runs[:1])
    broken = dict(runs[0], run="tone_3")
    del broken["ci_low"]
    with pytest.raises(InputError, match="tone_3.*ci_low"):
        evaluate.collect([broken])


def test_claims_verdicts():
    runs = [_run("noise", 3, "random_per_gap", 0.34),
            _run("tone", 3, "random_constant", 0.6), _run("tone", 2, "random_constant", 0.5),
            _run("tone", 3, "random_per_gap", 0.33), _run("tone", 2, "random_per_gap", 0.51),
            _run("sine", 3, "random_per_gap", 0.34), _run("sine", 3, "random_constant", 0.58),
            _run("music", 2, "random_per_gap", 0.8), _run("music", 5, "random_per_gap", 0.3),
            _run("music", 2, "random_per_gap", 0.7, length=0.1)]
    judged = verdicts.claims(evaluate.collect(runs)).set_index("id").verdict
    assert judged.to_dict() == {"S1": "supported", "S2": "supported", "S3": "supported",
                                  "S4": "supported", "S5": "supported", "S6": "supported",
                                  "S7": "supported"}
    runs[2] = _run("tone", 2, "random_constant", 0.7)  # n = 2 sortable: S4 fails
    assert verdicts.claims(evaluate.collect(runs)).set_index("id").verdict["S4"] == "contradicted"


def test_a_cue_within_the_tolerance_leaves_a_chance_claim_standing():
    # a tone at n = 2 sorted 0.54 of the time on 4,000 samples: above chance (0.5) with an interval
    # that excludes it, but 0.08 skill, within the tolerance; 0.6 (skill 0.2) is beyond it
    runs = [_run("tone", 2, "random_constant", 0.54, n_valid=4000)]
    table = evaluate.collect(runs)
    assert table.above_chance[0] and table.ci_low[0] > 0.5
    assert verdicts.claims(table).set_index("id").verdict["S4"] == "supported"
    table = evaluate.collect([_run("tone", 2, "random_constant", 0.6, n_valid=4000)])
    assert (table.ci_low[0] - 0.5) / 0.5 > verdicts.CHANCE_TOLERANCE
    assert verdicts.claims(table).set_index("id").verdict["S4"] == "contradicted"
    # the rules of the claims table state the tolerance the verdicts use
    rules = {c["id"]: c["rule"]["text"] for c in yaml.safe_load(
        (Path(verdicts.__file__).parent / "claims.yaml").read_text())}
    for claim in ("S1", "S3", "S4"):
        assert f"chance + {verdicts.CHANCE_TOLERANCE:g} skill" in rules[claim]


def test_seeds_are_summed_up_per_point_and_their_spread_decides():
    # a tone at n = 2 whose seeds disagree: one seed alone says sortable, the three together
    # have an interval that reaches chance, so S4 ("not sortable") is not contradicted
    runs = [_run("tone", 2, "random_constant", a, seed=s) for s, a in enumerate([0.58, 0.50, 0.51])]
    table = evaluate.collect(runs)
    assert len(table) == 1 and table.seeds[0] == 3
    assert table.accuracy[0] == pytest.approx(0.53)
    assert table.accuracy_seeds[0] == "0.580 / 0.500 / 0.510"
    assert table.ci_low[0] < 0.5 < table.ci_high[0] and not table.above_chance[0]
    assert verdicts.claims(table).set_index("id").verdict["S4"] == "supported"
    assert evaluate.collect(runs[:1]).above_chance[0]  # the first seed alone
    with pytest.raises(InputError, match="twice"):
        evaluate.collect(runs + runs[:1])


@pytest.mark.parametrize("few, many, verdict", [
    ([0.8, 0.82, 0.81], [0.3, 0.32, 0.31], "supported"),
    ([0.8, 0.3, 0.6], [0.5, 0.55, 0.52], "inconclusive"),
    ([0.3, 0.31, 0.3], [0.5, 0.52, 0.55], "contradicted"),
])
def test_s5_compares_seed_by_seed_with_an_interval(few, many, verdict):
    runs = ([_run("music", 2, "random_per_gap", a, seed=s) for s, a in enumerate(few)]
            + [_run("music", 5, "random_per_gap", a, seed=s) for s, a in enumerate(many)])
    judged = verdicts.claims(evaluate.collect(runs), runs=evaluate.per_seed_table(runs))
    row = judged.set_index("id").loc["S5"]
    assert row.verdict == verdict and "95 % interval over 3 seeds" in row.note
    # the row carries the numbers the verdict rests on: the per-seed skill difference and its
    # interval over seeds (the claims table shows these, not an accuracy)
    differences = [(a - 1 / 2) / (1 - 1 / 2) - (b - 1 / 5) / (1 - 1 / 5)  # skill at n = 2 and 5
                   for a, b in zip(few, many)]
    assert row.difference == pytest.approx(np.mean(differences))
    assert row.difference_low < row.difference < row.difference_high
    assert {"supported": row.difference_low > 0, "contradicted": row.difference_high < 0,
            "inconclusive": row.difference_low <= 0 <= row.difference_high}[verdict]
    assert f"difference {row.difference:.3f}" in row.note


# --- figures --------------------------------------------------------------------------------------


def test_figures(ramp_songs):
    from matplotlib.figure import Figure

    from audiorepro.sorting import figures

    assert plots.figure_files(figures.FIGURES) == [
        "jigsaw_sampling.png", "sin_wave.png", "shuffled.mp3", "unshuffled.mp3", "static.mp3",
        "tone.mp3", "grid_accuracy.png", "controls.png"]
    song, _ = synth.synth_song(np.random.default_rng(0), 5.0, RATE, channels=1)
    shuffled, unshuffled = figures.shuffled_unshuffled(song, RATE)
    assert shuffled.dtype == np.int16 and len(shuffled) == len(unshuffled) == 20 * 3200
    pieces = [sorted(map(tuple, s.reshape(20, -1))) for s in (shuffled, unshuffled)]
    assert pieces[0] == pieces[1] and not np.array_equal(shuffled, unshuffled)
    assert figures.excerpt(synth.white_noise(2.0, RATE, 0), RATE, 1.0).shape == (RATE,)
    table = evaluate.collect([_run("music", 2, "random_per_gap", 0.8),
                              _run("music", 3, "random_per_gap", 0.6),
                              _run("tone", 3, "random_constant", 0.6),
                              _run("tone", 3, "random_per_gap", 0.33)])
    made = [figures.jigsaw_sampling(data.as_songs([audio.to_int16(song)]), chunk_len=160,
                                    pad_range=(0, 160)),
            figures.sin_wave(), figures.grid_accuracy(table), figures.controls(table)]
    assert all(isinstance(f, Figure) for f in made)
    with pytest.raises(InputError, match="control"):
        figures.controls(table[table.dataset == "music"])


def test_the_drawer_writes_every_figure_and_sound(tmp_path):
    from audiorepro.sorting import figures

    song, _ = synth.synth_song(np.random.default_rng(0), 5.0, RATE, channels=1)
    noise = synth.white_noise(2.0, RATE, 0)
    table = evaluate.collect([_run("music", 2, "random_per_gap", 0.8),
                              _run("tone", 3, "random_per_gap", 0.33)])
    draw = plots.Drawer(figures.FIGURES, tmp_path / "figures")
    draw("jigsaw_sampling.png", data.as_songs([audio.to_int16(song)]), chunk_len=160,
         pad_range=(0, 160), rate=RATE)
    draw("sin_wave.png", rate=RATE)
    example = (song, RATE, 10, 0.1, 0.005)
    draw("shuffled.mp3", *example)
    draw("unshuffled.mp3", *example)
    draw("static.mp3", noise, RATE, 1.0)
    with pytest.raises(RuntimeError, match="tone.mp3, grid_accuracy.png, controls.png"):
        draw.check()
    draw("tone.mp3", synth.tiled_tone(2.0, RATE)[0], RATE, 0.5)
    draw("grid_accuracy.png", table)
    draw("controls.png", table)
    assert draw.check() == plots.figure_files(figures.FIGURES)
    # a sound's function writes the very bytes of its samples' mp3
    expected = tmp_path / "expected"
    expected.mkdir()
    for name, samples in zip(("shuffled.mp3", "unshuffled.mp3"),
                             figures.shuffled_unshuffled(*example)):
        audio.write_mp3(expected / name, samples, RATE)
    audio.write_mp3(expected / "static.mp3", figures.excerpt(noise, RATE, 1.0), RATE)
    for name in ("shuffled.mp3", "unshuffled.mp3", "static.mp3"):
        assert (tmp_path / "figures" / name).read_bytes() == (expected / name).read_bytes()
    assert (tmp_path / "figures" / "shuffled.mp3").read_bytes() != \
        (tmp_path / "figures" / "unshuffled.mp3").read_bytes()
    assert all((tmp_path / "figures" / n).stat().st_size > 0 for n in draw.drawn)
