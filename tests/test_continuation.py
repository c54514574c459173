"""The continuation study's library: data protocols, the network, generation, drift, synth."""

import numpy as np
import pandas as pd
import pytest
import soundfile

from audiorepro import synth
from audiorepro.continuation import batches, data, evaluate, figures
from audiorepro.continuation import synth as music
from audiorepro.errors import InputError

# --- split, scaling, sequences --------------------------------------------------------------------


def test_contiguous_split_is_80_10_10_without_gaps_or_overlap():
    for n in (1000, 12345, 16000 * 60 * 60 * 3):
        table = data.contiguous_split(n)
        assert list(table.split) == ["train", "valid", "test"]
        assert table.start.iloc[0] == 0 and table.end.iloc[-1] == n
        assert (table.start.iloc[1:].to_numpy() == table.end.iloc[:-1].to_numpy()).all()
        assert table.end.iloc[0] == int(n * 0.8) and table.end.iloc[1] == int(n * 0.9)
    assert data.contiguous_split(10).end.tolist() == [8, 9, 10]
    with pytest.raises(InputError, match="fractions"):
        data.contiguous_split(100, (0.8, 0.1, 0.2))


def _two_part_recording(n=20_000, tail_offset=3000):
    """Training part around 0 with small peaks; valid and test parts offset and louder."""
    rng = np.random.default_rng(0)
    x = rng.integers(-200, 201, n).astype(np.int16)
    cut = int(n * 0.8)
    x[cut:] = (x[cut:] + tail_offset).astype(np.int16)
    return x, cut


def test_original_scales_with_all_samples_and_clean_with_the_training_part_only():
    x, cut = _two_part_recording()
    table = data.contiguous_split(len(x))
    original = data.scaling_statistics(x, table, "original")
    clean = data.scaling_statistics(x, table, "clean")
    assert (original["start"], original["end"]) == (0, len(x))
    assert (clean["start"], clean["end"]) == (0, cut)
    assert original["mean"] == pytest.approx(x.astype(float).mean())
    assert (original["max"], original["min"]) == (x.max(), x.min())
    assert clean["mean"] == pytest.approx(x[:cut].astype(float).mean())
    assert (clean["max"], clean["min"]) == (x[:cut].max(), x[:cut].min())
    assert clean["max"] < original["max"] and clean["mean"] < original["mean"]
    # no leakage: changing valid/test changes the original scaling and not the clean one
    y = x.copy()
    y[cut:] = 0
    assert data.scaling_statistics(y, table, "clean") == clean
    assert data.scaling_statistics(y, table, "original") != original
    with pytest.raises(InputError, match="protocol"):
        data.scaling_statistics(x, table, "leaky")


def test_denormalise_inverts_normalise_exactly_on_int16():
    x = np.random.default_rng(1).integers(-32768, 32768, 50_000).astype(np.int16)
    stats = data.scaling_statistics(x, data.contiguous_split(len(x)), "original")
    z = data.normalise(x, stats)
    assert z.dtype == np.float32
    assert z.max() - z.min() == pytest.approx(1.0, abs=1e-6) and abs(z.mean()) < 1e-6
    back = data.denormalise(z, stats)
    assert back.dtype == np.int16 and np.array_equal(back, x)


def test_sequences_drop_partial_frames_and_sequences_and_targets_are_shifted_by_one_frame():
    frame, seq_len = 4, 5
    x = np.arange(frame * seq_len * 3 + frame * 2 + 3, dtype=np.float32)  # 3 whole sequences
    seqs = data.sequences(x, frame, seq_len)
    assert seqs.shape == (3, seq_len, frame)
    assert np.array_equal(seqs[1, 2], x[(seq_len + 2) * frame:(seq_len + 3) * frame])
    inputs, targets = data.inputs_and_targets(seqs)
    assert inputs.shape == targets.shape == (3, seq_len - 1, frame)
    assert np.array_equal(targets[:, :-1], inputs[:, 1:])
    # the target at step t is the frame that follows the input at step t in the signal
    assert np.array_equal(targets[:, :, 0] - inputs[:, :, 0], np.full((3, seq_len - 1), frame))


def test_prepare_cuts_each_split_on_its_own():
    frame, seq_len = 10, 5
    n = 8_000 + 7
    ramp = np.arange(n).astype(np.int32)  # sample value = its index
    prepared = data.prepare(ramp, protocol="clean", frame=frame, seq_len=seq_len)
    table = prepared.split_table.set_index("split")
    for split in data.SPLITS:
        seqs = prepared.sequences[split]
        index = np.round(seqs * (prepared.stats["max"] - prepared.stats["min"])
                         + prepared.stats["mean"]).astype(int)
        start, end = table.loc[split, "start"], table.loc[split, "end"]
        assert len(seqs) == (end - start) // (frame * seq_len)
        assert index.min() == start and index.max() < end
        assert np.array_equal(index.reshape(-1), np.arange(start, start + index.size))
    assert prepared.counts() == {"train": 128, "valid": 16, "test": 16}
    assert np.array_equal(prepared.seed_sequence(), prepared.sequences["valid"][0])


def test_a_recording_too_short_or_silent_is_refused_with_its_numbers():
    frame, seq_len = 100, 50
    short = np.random.default_rng(2).integers(-99, 99, 40_000).astype(np.int16)
    with pytest.raises(InputError, match=r"song\.wav: is too short: 40000 samples.*valid part has "
                                         r"4000 samples.*5000.*at least 50000 samples"):
        data.prepare(short, protocol="original", frame=frame, seq_len=seq_len, where="song.wav")
    assert data.minimum_samples(frame, seq_len) == 50_000
    data.prepare(np.resize(short, 50_000), protocol="original", frame=frame, seq_len=seq_len)
    silent = np.zeros(60_000, np.int16)
    with pytest.raises(InputError, match=r"song\.wav: is silent: all 60000 samples"):
        data.prepare(silent, protocol="original", frame=frame, seq_len=seq_len, where="song.wav")
    # silent training part, sound afterwards: only the clean protocol has nothing to scale by
    silent[50_000:] = 7
    silent[55_000:] = -7
    data.prepare(silent, protocol="original", frame=frame, seq_len=seq_len)
    with pytest.raises(InputError, match=r"is silent: all 48000 samples of train"):
        data.prepare(silent, protocol="clean", frame=frame, seq_len=seq_len)


# --- several recordings: joined in file order, cut at their boundaries ----------------------------


def _three_recordings():
    """A ramp (sample value = its index in the joined signal) over three recordings of different
    lengths, and the lengths."""
    lengths = [5_300, 2_150, 12_557]
    return np.arange(sum(lengths)).astype(np.int32), lengths


def test_no_sequence_straddles_two_recordings_and_the_fractions_hold_over_the_whole():
    frame, seq_len = 10, 20  # 200 samples a sequence
    ramp, lengths = _three_recordings()
    files = ["b song.mp3", "a talk.wav", "c (live).flac"]
    prepared = data.prepare(ramp, protocol="clean", frame=frame, seq_len=seq_len, lengths=lengths,
                            files=files)
    n = len(ramp)
    table = prepared.split_table
    assert table.end.tolist() == [int(n * 0.8), int(n * 0.9), n]  # over the whole, not per file
    edges = np.cumsum([0, *lengths])
    pieces = prepared.pieces
    # every piece lies in one recording, in file order, and the pieces tile each split
    for split in data.SPLITS:
        mine = pieces[pieces.split == split]
        row = table.set_index("split").loc[split]
        assert mine.start.iloc[0] == row.start and mine.end.iloc[-1] == row.end
        assert (mine.start.iloc[1:].to_numpy() == mine.end.iloc[:-1].to_numpy()).all()
        assert mine.recording.is_monotonic_increasing
    for piece in pieces.itertuples():
        k = piece.recording
        assert edges[k] <= piece.start < piece.end <= edges[k + 1]
        assert piece.file == files[k] and piece.offset == piece.start - edges[k]
    assert pieces.samples.sum() == n
    # every sequence is contiguous in one recording
    for split in data.SPLITS:
        seqs = prepared.sequences[split]
        index = np.round(seqs * (prepared.stats["max"] - prepared.stats["min"])
                         + prepared.stats["mean"]).astype(np.int64).reshape(len(seqs), -1)
        assert (np.diff(index, axis=1) == 1).all()
        recording = np.searchsorted(edges, index, side="right") - 1
        assert (recording == recording[:, :1]).all(), split
        assert len(seqs) == pieces.sequences[pieces.split == split].sum()
    # cutting the joined split as one recording would have made sequences across a boundary
    whole = data.prepare(ramp, protocol="clean", frame=frame, seq_len=seq_len)
    crossing = [s for s in whole.sequences["train"].reshape(-1, frame * seq_len)
                if len(set(np.searchsorted(edges, np.round(
                    s * (whole.stats["max"] - whole.stats["min"]) + whole.stats["mean"]), "right")))
                > 1]
    assert crossing
    assert prepared.counts() == {"train": 26 + 10 + 42, "valid": 10, "test": 10}
    assert whole.counts() == {"train": 80, "valid": 10, "test": 10}


def test_the_split_summary_and_the_metrics_name_the_recordings():
    ramp, lengths = _three_recordings()
    table = data.contiguous_split(len(ramp))
    pieces = data.recording_pieces(table, lengths, ["one.wav", "two.wav", "three.wav"], 10, 20)
    summary = data.split_summary(table, pieces)
    assert summary.split.tolist() == ["train", "valid", "test"]
    assert summary.recordings.tolist() == [3, 1, 1]
    assert summary.files.tolist() == ["one.wav | two.wav | three.wav", "three.wav", "three.wav"]
    assert summary.sequences.tolist() == [26 + 10 + 42, 10, 10]
    prepared = data.prepare(ramp, protocol="original", frame=10, seq_len=20, lengths=lengths)
    records = prepared.piece_records()
    assert [r["file"] for r in records] == ["recording 1", "recording 2", "recording 3",
                                            "recording 3", "recording 3"]
    assert all(type(r["start"]) is int for r in records)  # plain JSON numbers
    assert prepared.data_parts() == [(0, 5300), (5300, 7450), (7450, 16005), (16005, 18006)]


def test_a_folder_too_short_for_a_sequence_within_one_recording_names_them():
    # valid part lies across two recordings, each piece shorter than one sequence
    x = np.random.default_rng(8).integers(-99, 99, 60_000).astype(np.int16)
    with pytest.raises(InputError, match=r"folder: is too short: 60000 samples \(3\.75 s\); its "
                                         r"valid part has 6000 samples in 2 recording\(s\) "
                                         r"\('a\.wav': 3000, 'b\.wav': 3000\), none holding one "
                                         r"sequence of 50 frames x 100 samples = 5000"):
        data.prepare(x, protocol="original", frame=100, seq_len=50, lengths=[51_000, 9_000],
                     files=["a.wav", "b.wav"], where="folder", rate=16000)
    with pytest.raises(InputError, match="lengths add to 59999"):
        data.prepare(x, protocol="original", frame=100, seq_len=50, lengths=[50_999, 9_000])


def test_recordings_are_read_in_table_order_and_the_log_line_names_them(tmp_path):
    rate = 1000
    table = pd.DataFrame({"file": ["z first.mp3", "a second.wav"],
                          "wav": ["z first.wav", "a second.wav"]})
    for wav, n, value in (("z first.wav", 1500, 1), ("a second.wav", 2250, 2)):
        soundfile.write(tmp_path / wav, np.full(n, value, np.int16), rate, subtype="PCM_16")
    recordings = data.read_recordings(tmp_path, table, rate)
    assert recordings.lengths == [1500, 2250] and recordings.files == ["z first.mp3",
                                                                       "a second.wav"]
    assert recordings.samples.tolist() == [1] * 1500 + [2] * 2250
    assert recordings.describe(rate) == (
        "2 recordings joined in file order (no sequence straddles two): 1. 'z first.mp3' "
        "(1.50 s), 2. 'a second.wav' (2.25 s)")
    assert recordings.table(rate)[1] == {"file": "a second.wav", "samples": 2250, "seconds": 2.25}


def test_sequence_batches_walk_in_order_and_shuffle_per_epoch_reproducibly():
    inputs = np.arange(10)[:, None]
    targets = inputs + 100
    ordered = batches.sequence_batches(inputs, targets, 4)
    assert len(ordered) == 3
    assert [b[0].ravel().tolist() for b in (ordered[i] for i in range(3))] == \
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    shuffled = batches.sequence_batches(inputs, targets, 4, shuffle=True, seed=3)
    epoch0 = np.concatenate([shuffled[i][0] for i in range(3)]).ravel()
    shuffled.epoch = 1  # the trainer sets the epoch
    epoch1 = np.concatenate([shuffled[i][0] for i in range(3)]).ravel()
    assert sorted(epoch0) == list(range(10)) and not np.array_equal(epoch0, epoch1)
    shuffled.epoch = 0
    assert np.array_equal(np.concatenate([shuffled[i][0] for i in range(3)]).ravel(), epoch0)
    x, y = shuffled[1]
    assert np.array_equal(y, x + 100)


# --- trivial baselines ----------------------------------------------------------------------------


def test_baselines_on_sequences_whose_answers_are_known():
    # frame t of every sequence holds the value t + 1: targets 2..T, inputs 1..T-1
    seq_len, frame = 6, 4
    seqs = np.broadcast_to(np.arange(1, seq_len + 1, dtype=np.float32)[None, :, None],
                           (5, seq_len, frame)).copy()
    mse = evaluate.baseline_mse(*data.inputs_and_targets(seqs), chunk=2)
    assert mse["zero"] == pytest.approx(np.mean(np.arange(2, seq_len + 1) ** 2))  # 18
    assert mse["repeat_last"] == pytest.approx(1.0)
    rng = np.random.default_rng(9)
    inputs, targets = rng.normal(size=(7, 3, 5)), rng.normal(size=(7, 3, 5))
    mse = evaluate.baseline_mse(inputs, targets, chunk=3)
    assert mse["zero"] == pytest.approx(np.mean(targets ** 2))
    assert mse["repeat_last"] == pytest.approx(np.mean((targets - inputs) ** 2))
    assert evaluate.baseline_mse(inputs[:0], targets[:0]) == {"zero": None, "repeat_last": None}
    table = evaluate.baselines({"valid": (inputs, targets), "test": (inputs[:0], targets[:0])})
    assert table["zero"] == {"valid": mse["zero"], "test": None}


def test_a_network_that_outputs_zero_scores_the_zero_baseline_in_keras():
    """The baselines are on the sequences and in the units Keras validates on, batch weighting
    included (7 sequences in batches of 3)."""
    import keras

    from audiorepro.continuation import model

    keras.utils.set_random_seed(10)
    x = np.random.default_rng(10).normal(0, 3000, 640).astype(np.int16)
    prepared = data.prepare(x, protocol="original", frame=12, seq_len=5,
                            fractions=(0.15, 0.7, 0.15))
    assert prepared.counts()["valid"] == 7
    net = model.continuation_model(12, 4, 1)
    dense = net.get_layer("next_frame")
    dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])
    pair = prepared.inputs_and_targets("valid")
    loss = net.evaluate(batches.sequence_batches(*pair, 3), verbose=0)
    assert loss == pytest.approx(evaluate.baseline_mse(*pair)["zero"], rel=1e-5)


def test_the_network_must_beat_the_better_baseline():
    table = {"zero": {"valid": 0.005443, "test": 0.006}, "repeat_last": {"valid": 0.0109,
                                                                          "test": 0.012}}
    versus, warning = evaluate.against_baselines(0.005538, table)  # the reported real run
    assert versus == {"best_baseline": "zero", "best_baseline_valid": 0.005443,
                      "beats_baselines": False}
    assert "0.005538" in warning and "0.005443" in warning and "0.0109" in warning
    versus, warning = evaluate.against_baselines(0.004, table)
    assert versus["beats_baselines"] is True and warning is None
    table["repeat_last"]["valid"] = 0.003  # a smooth signal: repeating wins and must be beaten
    versus, warning = evaluate.against_baselines(0.004, table)
    assert versus["best_baseline"] == "repeat_last" and versus["beats_baselines"] is False


# --- the network ----------------------------------------------------------------------------------


def test_paper_size_network_has_the_originals_55_232_200_parameters():
    from audiorepro.continuation import model
    from audiorepro.training import parameter_counts

    lasagne = model.continuation_model(16000, 600, 3)
    assert lasagne.count_params() == model.ORIGINAL_PARAMETERS == 55_232_200
    assert parameter_counts(lasagne) == {"total": 55_232_200, "trainable": 55_228_600,
                                         "non_trainable": 3_600}
    assert lasagne.output_shape == (None, None, 16000)
    # Keras' own LSTM lacks the peepholes and the initial-state parameters: 9,000 fewer
    assert model.continuation_model(16000, 600, 3, cell="keras").count_params() == 55_223_200
    assert model.parameter_breakdown(16000, 600, 3)["layers"] == {
        "lstm_1": 39_845_400, "lstm_2": 2_885_400, "lstm_3": 2_885_400, "next_frame": 9_616_000}


def test_small_network_parameter_count_by_formula():
    from audiorepro.continuation import model

    frame, u = 40, 16
    lstm1, lstm2 = 4 * (frame * u + u * u + u), 4 * (u * u + u * u + u)
    dense = u * frame + frame
    small = model.continuation_model(frame, u, 2)
    assert small.count_params() == lstm1 + lstm2 + dense + 2 * 5 * u == 6_600
    assert model.continuation_model(frame, u, 2, cell="keras").count_params() == 6_440
    assert model.parameter_breakdown(frame, u, 2)["total"] == 6_600
    optimizer = small.optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.01) and optimizer.epsilon == 1e-6
    adam = model.continuation_model(frame, u, 2, optimizer="adam", learning_rate=0.001).optimizer
    assert type(adam).__name__ == "Adam" and float(adam.learning_rate) == pytest.approx(0.001)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        model.continuation_model(frame, u, 2, optimizer="sgd")


SMALL_MODEL = {"frame": 40, "seq_len": 50, "units": 16, "layers": 2, "cell": "lasagne"}


def test_build_maps_the_model_and_training_settings_to_the_network():
    import keras

    from audiorepro.continuation import model

    keras.utils.set_random_seed(2)
    net = model.build(SMALL_MODEL, {"learning_rate": 0.002, "epochs": 3})
    assert net.count_params() == 6_600 and net.input_shape == (None, None, 40)
    optimizer = net.optimizer  # no optimizer key: the original's RMSprop
    assert isinstance(optimizer, keras.optimizers.RMSprop) and optimizer.epsilon == 1e-6
    assert float(optimizer.learning_rate) == pytest.approx(0.002)
    # the same network, drawn in the same order, as the builder it calls
    keras.utils.set_random_seed(2)
    same = model.continuation_model(40, 16, 2, learning_rate=0.002)
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), same.get_weights()))
    adam = model.build({**SMALL_MODEL, "cell": "keras"}, {"learning_rate": 0.001,
                                                          "optimizer": "adam"})
    assert adam.count_params() == 6_440 and isinstance(adam.optimizer, keras.optimizers.Adam)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        model.build(SMALL_MODEL, {"learning_rate": 0.01, "optimizer": "sgd"})
    assert model.paper_size_parameters() == model.ORIGINAL_PARAMETERS == 55_232_200
    assert model.paper_size_parameters("keras") == 55_223_200


def test_lasagne_cell_follows_lasagnes_peephole_equations():
    import keras

    from audiorepro.continuation import model

    keras.utils.set_random_seed(4)
    cell = model.LasagneLSTMCell(5)
    cell.build((None, 3))
    rng = np.random.default_rng(4)
    x, h, c = (rng.normal(size=(2, n)).astype(np.float32) for n in (3, 5, 5))
    for w in cell.weights:  # nonzero everything, biases and initial states included
        w.assign(rng.normal(0, 0.5, w.shape).astype(np.float32))
    W, U, b = (np.asarray(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    z = x @ W + h @ U + b
    zi, zf, zc, zo = np.split(z, 4, axis=-1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i = sig(zi + np.asarray(cell.w_cell_to_ingate) * c)
    f = sig(zf + np.asarray(cell.w_cell_to_forgetgate) * c)
    c_new = f * c + i * np.tanh(zc)
    h_new = sig(zo + np.asarray(cell.w_cell_to_outgate) * c_new) * np.tanh(c_new)
    out, (h_out, c_out) = cell(x, [h, c])
    np.testing.assert_allclose(np.asarray(h_out), h_new, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(c_out), c_new, rtol=1e-5, atol=1e-6)
    h0, c0 = cell.get_initial_state(batch_size=3)
    assert np.array_equal(np.asarray(h0), np.repeat(np.asarray(cell.hid_init), 3, axis=0))
    assert np.array_equal(np.asarray(c0), np.repeat(np.asarray(cell.cell_init), 3, axis=0))


@pytest.mark.parametrize("cell", ["lasagne", "keras"])
def test_stateful_generation_gives_the_rerun_frames(cell, tmp_path):
    import keras

    from audiorepro.continuation import generate, model

    keras.utils.set_random_seed(5)
    net = model.continuation_model(24, 8, 3, cell=cell)
    rng = np.random.default_rng(5)
    for w in net.weights:  # larger than the initialisation, so that the frames carry signal
        w.assign(rng.normal(0, 0.4, w.shape).astype(np.float32))
    seed = rng.normal(0, 0.3, (6, 24)).astype(np.float32)
    rerun = generate.generate_rerun(net, seed, steps=10)
    stateful = generate.generate_stateful(net, seed, steps=10)
    assert rerun.shape == stateful.shape == (16, 24)
    assert np.array_equal(stateful[:6], seed) and np.array_equal(rerun[:6], seed)
    np.testing.assert_allclose(stateful, rerun, atol=1e-5)
    assert np.abs(stateful[6:]).max() > 0.1 and not np.allclose(stateful[6], stateful[7])
    # the first generated frame is the network's output at the seed's last step
    np.testing.assert_allclose(rerun[6], np.asarray(net(seed[None]))[0, -1], atol=1e-6)
    # a saved and reloaded network generates the same frames
    net.save(tmp_path / "net.keras")
    again = model.load_model(tmp_path / "net.keras", compile=False)
    np.testing.assert_allclose(generate.generate_stateful(again, seed, steps=10), stateful,
                               atol=1e-6)


def test_generated_frames_back_to_int16_audio():
    x = np.random.default_rng(6).integers(-3000, 3000, 4000).astype(np.int16)
    stats = data.scaling_statistics(x, data.contiguous_split(len(x)), "clean")
    frames = data.normalise(x, stats).reshape(-1, 40)
    assert np.array_equal(data.to_audio(frames, stats), x)


# --- drift and learning curves --------------------------------------------------------------------


@pytest.fixture(scope="module")
def music_30s(tmp_path_factory):
    path = tmp_path_factory.mktemp("continuation") / "data.wav"
    truth = music.generate(path, seconds=30, seed=1)
    samples, rate = soundfile.read(path, dtype="int16")
    return samples, rate, truth


def test_drift_measures_keep_a_copy_of_the_data_inside_and_put_white_noise_outside(music_30s):
    samples, rate, _ = music_30s
    reference, ranges, table = evaluate.data_profile(samples, rate, parts=[(0, 24 * rate)])
    assert len(table) == 24 and set(ranges) == set(evaluate.MEASURES)
    copy = evaluate.per_second(samples[: 24 * rate], rate, reference)
    kept = evaluate.drift(copy, ranges)
    assert kept["drift_second"] is None and kept["stays_outside_from"] is None
    assert kept["spectral_distance_outside_fraction"] <= 0.1
    level = evaluate.per_second(samples, rate).rms.mean()
    noise = np.random.default_rng(7).normal(0, level, 10 * rate)
    left = evaluate.drift(evaluate.per_second(noise, rate, reference), ranges)
    assert left["drift_second"] == 0 and left["stays_outside_from"] == 0
    assert left["flatness_outside_fraction"] == 1.0
    # music that turns to noise after 4 s drifts at second 4
    mixed = np.concatenate([samples[16 * rate: 20 * rate] / 32768.0, noise[: 6 * rate]])
    turned = evaluate.drift(evaluate.per_second(mixed, rate, reference), ranges)
    assert turned["drift_second"] == 4 and turned["stays_outside_from"] == 4


def _table(rms, spectral, flatness=0.1):
    n = len(rms)
    return pd.DataFrame({"second": np.arange(n), "rms": rms, "spectral_distance": spectral,
                         "flatness": np.full(n, flatness)})


RANGES = {"rms": [0.05, 0.3], "spectral_distance": [2.0, 45.0], "flatness": [0.0, 0.5]}


def test_drift_catches_a_collapse_to_silence_that_the_spectral_distance_misses():
    # the data's spectral range is wide (speech and music): a faint copy stays inside it
    faint = _table(np.full(10, 0.15 * 10 ** (-36 / 20)), np.full(10, 36.0))
    spectral_only = evaluate.drift(faint, RANGES, "spectral_distance")
    assert spectral_only["drift_second"] is None and spectral_only["collapsed_to_silence"]
    both = evaluate.drift(faint, RANGES)  # the default: spectral distance and RMS
    assert both["measure"] == ["spectral_distance", "rms"]
    assert both["drift_second"] == 0 and both["causes"] == ["rms"]
    assert both["collapsed_to_silence"] and both["silence_second"] == 0
    assert both["first_drift"] == {"rms": 0, "flatness": None, "spectral_distance": None}
    assert both["stays_outside_from"] == 0 and both["rms_outside_fraction"] == 1.0


def test_drift_is_the_first_run_outside_on_any_measure_and_records_each_cause():
    rms = np.array([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.1, 0.1])
    spectral = np.array([5, 60, 60, 5, 5, 5, 5, 5, 60, 60], float)
    result = evaluate.drift(_table(rms, spectral), RANGES, ["rms", "spectral_distance"], 3)
    # seconds 1-2 spectral (2 in a row only), 3 inside, 4-7 rms: the run starts at 4
    assert result["drift_second"] == 4 and result["causes"] == ["rms"]
    assert result["first_drift"]["rms"] == 4 and result["first_drift"]["spectral_distance"] is None
    assert result["stays_outside_from"] == 4  # 8-9 spectral: outside to the end
    assert result["silence_second"] == 4
    mixed = evaluate.drift(_table(rms, spectral), RANGES, ["rms", "spectral_distance"], 2)
    assert mixed["drift_second"] == 1 and mixed["causes"] == ["spectral_distance"]
    # noise at the data's level: spectral distance only, not a collapse
    noise = evaluate.drift(_table(np.full(5, 0.1), np.full(5, 80.0)), RANGES, consecutive=3)
    assert noise["drift_second"] == 0 and noise["causes"] == ["spectral_distance"]
    assert not noise["collapsed_to_silence"] and noise["silence_second"] is None


def test_drift_measure_is_a_name_or_a_list():
    table = _table(np.full(6, 0.01), np.full(6, 10.0))
    assert evaluate.drift(table, RANGES, "rms") == evaluate.drift(table, RANGES, ["rms"])
    assert evaluate.drift(table, RANGES, "rms")["measure"] == ["rms"]
    assert evaluate.drift(table, RANGES, "flatness")["drift_second"] is None
    for bad in ("loudness", [], ["rms", "pitch"]):
        with pytest.raises(InputError, match="continuation.drift.measure: must be one or more of"):
            evaluate.drift(table, RANGES, bad)


def test_a_null_drift_point_says_why():
    inside = evaluate.drift(_table(np.full(30, 0.1), np.full(30, 10.0)), RANGES)
    assert inside["drift_second"] is None
    assert evaluate.drift_not_measured(inside, [1, 99]) == {"drift.drift_second": (
        "no drift within the 30 s generated: no 3 seconds in a row left the data's 1th-99th "
        "percentile range of spectral_distance or rms")}
    short = evaluate.drift(_table(np.full(2, 0.01), np.full(2, 10.0)), RANGES)
    assert "only 2 s generated" in evaluate.drift_not_measured(short, [1, 99])["drift.drift_second"]
    drifted = evaluate.drift(_table(np.full(5, 0.01), np.full(5, 10.0)), RANGES)
    assert evaluate.drift_not_measured(drifted, [1, 99]) == {}


def test_a_faint_loop_of_the_data_drifts_at_once_by_rms_and_a_copy_does_not(music_30s):
    samples, rate, _ = music_30s
    reference, ranges, data_table = evaluate.data_profile(samples, rate, parts=[(0, 24 * rate)])
    loop = np.tile(samples[10 * rate: 11 * rate] * 10 ** (-36 / 20), 12)  # 36 dB below, looped
    faint = evaluate.per_second(loop.astype(np.int16), rate, reference)
    result = evaluate.drift(faint, ranges)
    assert result["drift_second"] == 0 and "rms" in result["causes"]
    assert result["collapsed_to_silence"] and result["first_drift"]["rms"] == 0
    assert evaluate.relative_level_db(faint, data_table) == pytest.approx(-36, abs=3)
    copy = evaluate.per_second(samples[4 * rate: 24 * rate], rate, reference)
    kept = evaluate.drift(copy, ranges)
    assert kept["drift_second"] is None and not kept["collapsed_to_silence"]
    assert "no drift within the 20 s" in evaluate.drift_not_measured(kept, [1, 99])[
        "drift.drift_second"]


def test_per_second_flatness_is_synth_spectral_flatness(music_30s):
    samples, rate, _ = music_30s
    table = evaluate.per_second(samples[: 3 * rate], rate)
    for s in range(3):
        second = samples[s * rate:(s + 1) * rate] / 32768.0
        assert table.flatness[s] == pytest.approx(synth.spectral_flatness(second), rel=1e-9)
        assert table.rms[s] == pytest.approx(synth.rms(second), rel=1e-9)
    assert evaluate.per_second(np.zeros(rate), rate).flatness[0] == 1.0  # as spectral_flatness


def test_runs_and_learning_curve_summary():
    assert evaluate.first_run([0, 1, 1, 0, 1, 1, 1], 3) == 4
    assert evaluate.first_run([0, 1, 1, 0], 3) is None
    assert evaluate.stays_true_from([1, 0, 1, 1]) == 2
    assert evaluate.stays_true_from([1, 1]) == 0 and evaluate.stays_true_from([1, 0]) is None
    epochs = np.arange(30)
    valid = 0.02 - 0.0002 * np.minimum(epochs, 15)
    train = valid * np.where(epochs < 20, 1.01, 0.8)  # train dives below valid at epoch 20
    summary = evaluate.learning_curve_summary(
        pd.DataFrame({"epoch": epochs, "loss": train, "val_loss": valid}))
    assert summary["overfit_epoch"] == 20 and summary["best_epoch"] == 15
    assert summary["epoch0_valid"] == 0.02
    assert summary["valid_fall"] == pytest.approx(0.15)
    flat = evaluate.learning_curve_summary(pd.DataFrame({"loss": valid, "val_loss": valid}))
    assert flat["overfit_epoch"] is None


# --- synthetic music and figures ------------------------------------------------------------------


def test_synthetic_music_is_seeded_block_independent_and_true_to_its_table(tmp_path, music_30s):
    _, rate, truth = music_30s
    a = music.generate(tmp_path / "a.wav", seconds=9.5, seed=3)
    music.generate(tmp_path / "b.wav", seconds=9.5, seed=3, block_seconds=2.5)
    music.generate(tmp_path, seconds=9.5, seed=4)
    read = lambda p: soundfile.read(p, dtype="int16")  # noqa: E731
    x, rate = read(tmp_path / "a.wav")
    assert rate == 16000 and len(x) == 152_000
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert not np.array_equal(x, read(tmp_path / "data.wav")[0])
    assert 1000 < np.abs(x).max() < 32767  # audible, not clipped
    assert a.start.iloc[0] == 0 and a.end.iloc[-1] == len(x)
    assert (a.start.iloc[1:].to_numpy() == a.end.iloc[:-1].to_numpy()).all()
    # the loop repeats: same chords in the same order, and the pulse is per loop
    loop0 = truth[truth.loop == 0]
    assert (loop0.groupby("repeat").degree.apply(tuple).nunique()) == 1
    assert truth.groupby("loop").pulse.nunique().max() == 1
    degrees = truth.degree.to_numpy()
    assert degrees[0] == "I" and (degrees[1:] != degrees[:-1]).all()  # no chord twice in a row
    with pytest.raises(InputError, match="seconds"):
        music.generate(tmp_path / "c.wav", seconds=0, seed=1)
    assert not (tmp_path / "c.wav").exists()


def test_the_chords_sound_where_the_table_says(music_30s):
    samples, rate, truth = music_30s
    row = truth.iloc[2]
    middle = samples[row.start + rate: row.end - rate // 2] / 32768.0  # after the cross-fade
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    freqs = np.fft.rfftfreq(len(middle), 1 / rate)
    root = music.midi_to_hz(row.root)
    near = lambda f: spectrum[np.abs(freqs - f) < 2].max()  # noqa: E731
    off = music.midi_to_hz(row.root + 1)  # a semitone up: not in the chord
    assert near(root) > 10 * near(off)


def test_figures_draw_and_the_wav_is_written(tmp_path, music_30s):
    import matplotlib.figure

    samples, rate, _ = music_30s
    history = pd.DataFrame({"epoch": range(5), "loss": np.linspace(2, 1, 5),
                            "val_loss": np.linspace(2, 1.2, 5)})
    generated = evaluate.per_second(samples[: 5 * rate], rate, np.zeros(257))
    ranges = {m: [0.0, 1.0] for m in evaluate.MEASURES}
    figs = [figures.learning_curves(history), figures.original_waveform(samples),
            figures.generated_waveform(samples[: 5 * rate], rate, rate),
            figures.drift(generated, ranges, drift_second=2)]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    soundfile.write(tmp_path / "made.wav", samples[:rate], rate, subtype="PCM_16")
    figures.copy_generated(tmp_path / "made.wav", tmp_path / "figures" / "generated.wav")
    assert (tmp_path / "figures" / "generated.wav").read_bytes() == \
        (tmp_path / "made.wav").read_bytes()  # the generate rule's file as it is
    assert list(figures.FIGURES) == ["learning_curves.png", "original_waveform.png",
                                     "generated_waveform.png", "generated.wav", "drift.png"]


def test_the_drawer_draws_every_figure_and_copies_the_sound(tmp_path, music_30s):
    from audiorepro import plots

    samples, rate, _ = music_30s
    soundfile.write(tmp_path / "made.wav", samples[: 3 * rate], rate, subtype="PCM_16")
    history = pd.DataFrame({"epoch": range(3), "loss": [2.0, 1.5, 1.0],
                            "val_loss": [2.0, 1.6, 1.2]})
    ranges = {m: [0.0, 1.0] for m in evaluate.MEASURES}
    draw = plots.Drawer(figures.FIGURES, tmp_path / "figures")
    draw("learning_curves.png", history, baselines={"zero": {"valid": 1.1}})
    draw("original_waveform.png", samples)
    draw("generated_waveform.png", samples[: 3 * rate], rate, rate, title="seed and generated")
    with pytest.raises(RuntimeError, match="generated.wav, drift.png"):
        draw.check()
    draw("generated.wav", tmp_path / "made.wav")
    draw("drift.png", evaluate.per_second(samples[: 3 * rate], rate), ranges, 1)
    assert draw.check() == list(figures.FIGURES)
    for name in figures.FIGURES:
        assert (tmp_path / "figures" / name).stat().st_size > 0, name
    assert (tmp_path / "figures" / "generated.wav").read_bytes() == \
        (tmp_path / "made.wav").read_bytes()


def test_the_schema_takes_a_measure_or_a_list_and_refuses_unknown_ones():
    import copy

    import yaml

    from audiorepro.config import ConfigError, validate_config
    from conftest import ROOT

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert config["continuation"]["drift"]["measure"] == ["spectral_distance", "rms"]
    assert config["continuation"]["audio"]["short_recordings"] == "error"
    for measure in ("rms", ["flatness"], ["rms", "spectral_distance"]):
        ok = copy.deepcopy(config)
        ok["continuation"]["drift"]["measure"] = measure
        validate_config(ok, ROOT / "config" / "schema.yaml")
    for measure in ("loudness", [], ["rms", "rms"]):
        bad = copy.deepcopy(config)
        bad["continuation"]["drift"]["measure"] = measure
        with pytest.raises(ConfigError, match="config key continuation.drift.measure"):
            validate_config(bad, ROOT / "config" / "schema.yaml")


# --- collapse of the generation, and the claims that rest on it -----------------------------------


def _generated(samples, rate, generation, seed_seconds=2):
    """(per-second table with the repetition columns, whole audio): ``generation`` (int16) after
    ``seed_seconds`` of the data as its seed, as the generate rule measures it."""
    seed = samples[: seed_seconds * rate]
    audio = np.concatenate([seed, np.asarray(generation).astype(np.int16)])
    table = evaluate.per_second(audio[len(seed):], rate)
    repeats = evaluate.repetition(audio, rate, len(seed), frame=400)
    table[["repetition_db", "period"]] = repeats[["repetition_db", "period"]].to_numpy()
    return table, audio


@pytest.fixture(scope="module")
def song_with_silence(music_30s):
    """Real-like data: 4 s of digital silence, 22 s of music, a 4-s fade-out."""
    samples, rate, _ = music_30s
    fade = (samples[22 * rate: 26 * rate] * np.linspace(1, 0, 4 * rate)).astype(np.int16)
    return np.concatenate([np.zeros(4 * rate, np.int16), samples[: 22 * rate], fade]), rate


def test_a_frame_repeated_under_the_music_collapses_by_repetition(music_30s):
    samples, rate, _ = music_30s
    _, _, profile = evaluate.data_profile(samples, rate)
    band = evaluate.level_band(profile)
    frame = samples[10 * rate: 10 * rate + 400]
    buzz = np.tile(frame * 10 ** (-27 / 20), 10 * rate // 400)  # 27 dB below, 10 s
    table, _ = _generated(samples, rate, buzz)
    result = evaluate.collapse(table, band, consecutive=3)
    assert result["collapsed"] and result["collapse_second"] == 0 and "repetition" in result["causes"]
    assert result["repeated_seconds"] == 9 and result["period"] == 400  # the seed ends second 0
    assert result["median_repetition_db"] < -90  # int16 rounding only
    assert result["collapsed_seconds"] == 10 and "second 0" in result["reason"]
    # the same loop at the music's own level: repetition alone catches it
    loud = evaluate.collapse(_generated(samples, rate, np.tile(frame, 10 * rate // 400))[0], band)
    assert loud["causes"] == ["repetition"] and loud["collapse_second"] == 1
    assert "repeat one period of 400 samples" in loud["reason"]


def test_silence_collapses_by_level_and_music_does_not_collapse(music_30s):
    samples, rate, _ = music_30s
    _, _, profile = evaluate.data_profile(samples[: 20 * rate], rate)
    band = evaluate.level_band(profile)
    silent = evaluate.collapse(_generated(samples, rate, np.zeros(6 * rate))[0], band)
    assert silent["collapsed"] and silent["causes"] == ["level"] and silent["faint_seconds"] == 6
    assert silent["repeated_seconds"] == 0 and "below the 5th percentile" in silent["reason"]
    # music the model never saw (the last 10 s), chords held for seconds: not a collapse
    music_left = evaluate.collapse(_generated(samples, rate, samples[20 * rate:])[0], band)
    assert not music_left["collapsed"] and music_left["reason"] is None
    assert music_left["repeated_seconds"] == 0 and music_left["collapsed_seconds"] == 0
    assert music_left["median_repetition_db"] > -20


def test_the_level_band_and_ranges_leave_out_a_silent_intro_and_the_fade_tail(song_with_silence,
                                                                             music_30s):
    samples, rate = song_with_silence
    _, ranges, profile = evaluate.data_profile(samples, rate)
    assert not profile.active[:4].any() and profile.active[4:26].all()
    music_rms = evaluate.per_second(music_30s[0][: 22 * rate], rate).rms
    band = evaluate.level_band(profile)
    assert band["active_seconds"] == len(profile) - 4 and band["percentiles"] == [5.0, 95.0]
    assert band["band"][0] > 0.3 * music_rms.min() and band["band"][1] <= music_rms.max()
    assert ranges["rms"][0] > 0.1 * music_rms.min()  # not the silent intro's zero
    # a buzz 27 dB under the music now drifts by level and collapses; music does not
    reference, ranges, profile = evaluate.data_profile(samples, rate)
    frame = samples[10 * rate: 10 * rate + 400]
    table, _ = _generated(samples[4 * rate:], rate, np.tile(frame * 10 ** (-27 / 20), 200))
    assert evaluate.drift(table, ranges, "rms")["drift_second"] == 0
    assert evaluate.collapse(table, evaluate.level_band(profile))["collapsed"]
    table, _ = _generated(samples[4 * rate:], rate, samples[16 * rate: 26 * rate])
    assert not evaluate.collapse(table, evaluate.level_band(profile))["collapsed"]


def _training_metrics(beats=True, frame=400, units=128, layers=3):
    history = pd.DataFrame({"epoch": range(4), "loss": [0.02, 0.018, 0.017, 0.016],
                            "val_loss": [0.02, 0.019, 0.018, 0.0175]})
    curve = evaluate.learning_curve_summary(history)
    zero = 0.019 if beats else 0.015
    table = {"zero": {"valid": zero, "test": zero}, "repeat_last": {"valid": 0.03, "test": 0.03}}
    versus, _ = evaluate.against_baselines(curve["best_valid"], table)
    metrics = {"learning_curve": curve, "baselines": table, **versus, "seconds_per_epoch": 1.5,
               "paper_size_parameters": 55_232_200, "parameters": {"total": 1234},
               "device": {"backend": "tensorflow", "accelerator": "cpu"}, "not_measured": {}}
    settings = {"frame": frame, "units": units, "layers": layers}
    metrics["not_comparable"] = evaluate.training_not_comparable(metrics, settings)
    metrics["sampling_interval"] = {"learning_curve.best_valid": [0.017, 0.018],
                                    "best_baseline_valid": [zero - 0.0005, zero + 0.0005]}
    return metrics


def test_n8s_measures_carry_bootstrap_intervals_over_the_validation_sequences():
    rng = np.random.default_rng(3)
    targets = rng.normal(0, 1, (40, 4, 5))
    inputs = targets + rng.normal(0, 0.5, targets.shape)
    predictions = targets + rng.normal(0, 0.3, targets.shape)
    found = evaluate.valid_sampling_intervals(predictions, inputs, targets, "repeat_last")
    model = evaluate.sequence_mse(predictions, targets)
    assert model.shape == (40,) and model.mean() == pytest.approx(0.09, rel=0.2)
    low, high = found["learning_curve.best_valid"]
    assert low < model.mean() < high and high - low < 0.05
    low, high = found["best_baseline_valid"]
    assert low < evaluate.sequence_mse(inputs, targets).mean() < high
    zero = evaluate.valid_sampling_intervals(predictions, inputs, targets, "zero")
    assert zero["best_baseline_valid"][0] < 1.0 < zero["best_baseline_valid"][1]
    assert evaluate.valid_sampling_intervals(predictions[:1], inputs[:1], targets[:1], "zero") == {}


def test_a_small_model_and_a_network_that_learned_nothing_are_not_comparable():
    learned = _training_metrics()
    assert list(learned["not_comparable"]) == ["seconds_per_epoch"]
    assert "a 1,234-parameter model (frame 400, 3 x LSTM(128)) timed on tensorflow/cpu" in \
        learned["not_comparable"]["seconds_per_epoch"]
    assert _training_metrics(frame=16000, units=600)["not_comparable"] == {}  # paper size
    nothing = _training_metrics(beats=False, frame=16000, units=600)["not_comparable"]
    assert set(nothing) == {"learning_curve.valid_fall", "seconds_per_epoch"}
    assert nothing["learning_curve.valid_fall"].startswith(
        "the network learned nothing: its best valid MSE 0.0175 is not below that of zero "
        "(0.015)")
    collapsed = {"reason": "the generated audio collapsed from second 0: ..."}
    assert evaluate.generation_not_comparable(_training_metrics(beats=False), collapsed)[
        "drift.drift_second"].startswith("the network learned nothing")
    assert evaluate.generation_not_comparable(_training_metrics(), collapsed) == dict.fromkeys(
        evaluate.GENERATION_KEYS, collapsed["reason"])
    assert evaluate.generation_not_comparable(_training_metrics(), {"reason": None}) == {}


def _claims_rows(tmp_path, training, generation):
    """The continuation claims table of one seed's metrics and generation files."""
    import json

    from audiorepro import claims, replicates

    seed_dir = tmp_path / "models" / "original" / "seed1"
    seed_dir.mkdir(parents=True)
    paths = [seed_dir / "metrics.json", seed_dir / "generation.json"]
    for path, document in zip(paths, (training, generation)):
        path.write_text(json.dumps(document))
    replicates.collect(paths, [1], tmp_path / "models/original/replicates.json",
                       files=["metrics.json", "generation.json"])
    rows = claims.study_rows("continuation", claims.load_claims(
        evaluate.__file__.replace("evaluate.py", "claims.yaml")), claims.Results(tmp_path),
        False, "", available=["models/original/replicates.json"])
    return {r["id"]: r for r in rows}


def _generation(training, music, rate, buzz):
    samples = music[: 20 * rate]
    reference, ranges, profile = evaluate.data_profile(samples, rate)
    generated = np.tile(samples[10 * rate: 10 * rate + 400] * 10 ** (-27 / 20), 75 * 40) if buzz \
        else music[20 * rate:]
    table, _ = _generated(samples, rate, generated)
    table["spectral_distance"] = evaluate.per_second(
        _generated(samples, rate, generated)[1][2 * rate:], rate, reference).spectral_distance
    drift = evaluate.drift(table, ranges)
    drift["mean"] = {m: float(table[m].mean()) for m in evaluate.MEASURES}
    collapsed = evaluate.collapse(table, evaluate.level_band(profile))
    return {"drift": drift, "collapse": collapsed, "generation_collapsed": collapsed["collapsed"],
            "not_measured": evaluate.drift_not_measured(drift, [1, 99]),
            "not_comparable": evaluate.generation_not_comparable(training, collapsed)}


def test_claims_on_a_collapsed_generation_or_a_network_that_learned_nothing(tmp_path, music_30s):
    samples, rate, _ = music_30s
    learned = _training_metrics()
    rows = _claims_rows(tmp_path / "collapsed", learned,
                        _generation(learned, samples, rate, buzz=True))
    assert rows["N9"]["verdict"] == "differs" and rows["N8"]["verdict"] != "differs"
    assert rows["N5"]["verdict"].startswith("not comparable: the generated audio collapsed")
    assert rows["N4"]["verdict"].startswith("not comparable: a 1,234-parameter model")
    nothing = _training_metrics(beats=False)
    rows = _claims_rows(tmp_path / "nothing", nothing, _generation(nothing, samples, rate, False))
    for claim in ("N3", "N5"):
        assert rows[claim]["verdict"].startswith("not comparable: the network learned nothing")
    assert rows["N8"]["verdict"] == "differs" and rows["N9"]["verdict"] == "holds"


# --- the rules: the split, the training and the generation --------------------------------------

RECORD = {"parameters": {"total": 1234, "trainable": 1200, "non_trainable": 34},
          "device": {"backend": "tensorflow", "accelerator": "cpu"}, "diverged": False}


def _write_recordings(folder, parts, rate):
    """Recordings (int16 arrays) written as WAV files in ``folder`` and the convert rule's
    table (a CSV file beside it); returns the table's path."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"part {k}.wav" for k in range(1, len(parts) + 1)]
    for name, samples in zip(names, parts):
        soundfile.write(folder / name, samples, rate, subtype="PCM_16")
    table = folder.parent / "audio.csv"
    pd.DataFrame({"file": names, "wav": names}).to_csv(table, index=False)
    return table


def test_the_split_table_holds_the_split_the_recordings_and_the_scaling():
    from audiorepro.continuation import split

    ramp, lengths = _three_recordings()
    recordings = data.Recordings(ramp, lengths, ["one.wav", "two.wav", "three.wav"])
    table, stats = split.split_table(recordings, "clean", (0.8, 0.1, 0.1), 10, 20, where="folder")
    assert table.split.tolist() == ["train", "valid", "test"]
    assert table.files.tolist() == ["one.wav | two.wav | three.wav", "three.wav", "three.wav"]
    assert table.sequences.tolist() == [26 + 10 + 42, 10, 10]
    assert stats == data.scaling_statistics(ramp, data.contiguous_split(len(ramp)), "clean")
    for key in ("protocol", "fitted_on", "mean", "max", "min"):
        assert (table[key] == stats[key]).all(), key
    assert stats["fitted_on"] == "train" and stats["max"] == int(len(ramp) * 0.8) - 1
    with pytest.raises(InputError, match="folder: is silent"):
        split.split_table(data.Recordings(np.zeros(20_000, np.int16), [20_000], ["a.wav"]),
                          "original", (0.8, 0.1, 0.1), 10, 20, where="folder")


def test_read_variant_prepares_the_variants_protocol_and_centring(tmp_path):
    rate = 1000
    rng = np.random.default_rng(11)
    parts = [rng.integers(-900, 900, n).astype(np.int16) for n in (6_000, 4_000)]
    table = _write_recordings(tmp_path / "audio", parts, rate)
    settings = {"frame": 20, "seq_len": 5, "units": 4, "layers": 1, "cell": "lasagne"}
    recordings, prepared = data.read_variant(tmp_path / "audio", table, rate, "clean-min",
                                             settings, [0.8, 0.1, 0.1])
    assert recordings.files == ["part 1.wav", "part 2.wav"]
    assert np.array_equal(recordings.samples, np.concatenate(parts))
    assert prepared.stats["protocol"] == "clean" and prepared.stats["centring"] == "min"
    _, same = data.read_and_prepare(tmp_path / "audio", pd.read_csv(table), rate,
                                    protocol="clean", centre="min", frame=20, seq_len=5)
    assert same.stats == prepared.stats and prepared.counts() == same.counts()
    for split in data.SPLITS:
        assert np.array_equal(prepared.sequences[split], same.sequences[split])
    _, original = data.read_variant(tmp_path / "audio", table, rate, "original", settings,
                                    [0.8, 0.1, 0.1])
    assert original.stats["fitted_on"] == "all" and original.stats["centring"] == "mean"


def _prepared(test_fraction=0.1, n=8_000):
    """A tiny recording prepared under ``clean`` (frame 20, seq_len 5), as one Recordings."""
    x = np.random.default_rng(12).integers(-3000, 3000, n).astype(np.int16)
    fractions = (0.9 - test_fraction, 0.1, test_fraction)
    prepared = data.prepare(x, protocol="clean", frame=20, seq_len=5, fractions=fractions)
    return data.Recordings(x, [n], ["song.wav"]), prepared


HISTORY = [{"epoch": 0, "loss": 0.3, "val_loss": 0.25}, {"epoch": 1, "loss": 0.2, "val_loss": 0.2},
           {"epoch": 2, "loss": 0.1, "val_loss": 0.22}]
SETTINGS = {"frame": 20, "seq_len": 5, "units": 4, "layers": 1, "cell": "lasagne"}


def _metrics(recordings, prepared, test_mse=0.21, seconds=6.0):
    inputs, targets = prepared.inputs_and_targets("valid")
    predictions = targets * 0.5 + inputs * 0.5
    return evaluate.metrics("clean", "clean", recordings, prepared, HISTORY, rate=1000,
                            model_settings=SETTINGS, training_seconds=seconds, test_mse=test_mse,
                            predictions=predictions, paper_size_parameters=55_232_200,
                            record=RECORD), predictions


def test_the_metrics_of_a_trained_network_are_its_numbers_and_the_baselines():
    recordings, prepared = _prepared()
    found, predictions = _metrics(recordings, prepared)
    assert set(found) == {
        "study", "variant", "protocol", "scaling", "recordings", "pieces", "sequences",
        "learning_curve", "test_mse", "baselines", "best_baseline", "best_baseline_valid",
        "beats_baselines", "seconds_per_epoch", "paper_size_parameters", "not_measured",
        "not_comparable", "sampling_interval"}  # the training record is merged in by the rule
    assert found["study"] == "continuation" and found["scaling"] == prepared.stats
    assert found["recordings"] == [{"file": "song.wav", "samples": 8000, "seconds": 8.0}]
    assert found["sequences"] == {"train": 64, "valid": 8, "test": 8}
    assert found["pieces"] == prepared.piece_records()
    assert found["learning_curve"] == evaluate.learning_curve_summary(HISTORY)
    assert found["learning_curve"]["best_valid"] == 0.2 and found["seconds_per_epoch"] == 2.0
    table = evaluate.baselines({s: prepared.inputs_and_targets(s) for s in ("valid", "test")})
    assert found["baselines"] == table and found["test_mse"] == 0.21
    versus, warning = evaluate.against_baselines(0.2, table)
    assert {k: found[k] for k in versus} == versus
    assert evaluate.baseline_warning(found) == warning
    assert found["not_comparable"]["seconds_per_epoch"].startswith(
        "a 1,234-parameter model (frame 20, 1 x LSTM(4)) timed on tensorflow/cpu")
    assert found["sampling_interval"] == evaluate.valid_sampling_intervals(
        predictions, *prepared.inputs_and_targets("valid"), versus["best_baseline"])
    assert list(found["not_measured"]) == ["learning_curve.overfit_epoch"]
    # without a whole test sequence, the test numbers are null and say why
    recordings, short = _prepared(test_fraction=0.01)
    assert short.counts()["test"] == 0
    empty, _ = _metrics(recordings, short, test_mse=None, seconds=0.0)
    assert empty["test_mse"] is None and empty["baselines"]["zero"]["test"] is None
    assert {k: v for k, v in empty["not_measured"].items() if k != "learning_curve.overfit_epoch"} \
        == dict.fromkeys(evaluate.TEST_KEYS, "the test part holds no whole sequence")


def test_the_generation_metrics_measure_the_generated_part_after_the_seed(music_30s):
    samples, rate, _ = music_30s
    data_part = samples[: 20 * rate]
    reference, ranges, profile = evaluate.data_profile(data_part, rate)
    seed_samples = 2 * rate
    loop = np.tile(samples[10 * rate: 10 * rate + 400], 6 * rate // 400)  # a frame repeated
    audio = np.concatenate([samples[:seed_samples], loop]).astype(np.int16)
    table = evaluate.generated_table(audio, rate, seed_samples, 400, reference)
    expected, _ = _generated(samples, rate, loop)
    expected["spectral_distance"] = evaluate.per_second(loop, rate, reference).spectral_distance
    pd.testing.assert_frame_equal(table, expected)
    d = {"measure": ["spectral_distance", "rms"], "consecutive": 3, "percentiles": [1.0, 99.0]}
    learned = _training_metrics()
    check = {"steps": 5, "max_abs_difference": 0.0}
    found = evaluate.generation_metrics("original-min", "original", table, ranges, profile,
                                        learned, d, seed_frames=80, steps=240, frame=400,
                                        rate=rate, generators=check, non_finite=3)
    assert (found["variant"], found["protocol"]) == ("original-min", "original")
    assert (found["seed_frames"], found["generated_frames"], found["seed_samples"]) == \
        (80, 240, 32_000)
    assert found["generated_seconds"] == 6.0 and found["non_finite_values"] == 3
    assert found["generators"] == check and found["diverged"] is False
    assert found["drift"] == {**evaluate.drift(table, ranges, d["measure"], 3),
                              "level_db": evaluate.relative_level_db(table, profile[profile.active]),
                              "mean": {m: float(table[m].mean()) for m in evaluate.MEASURES}}
    collapsed = evaluate.collapse(table, evaluate.level_band(profile), 3)
    assert found["collapse"] == collapsed and collapsed["collapsed"]
    assert found["generation_collapsed"] and found["collapse_reason"] == collapsed["reason"]
    assert found["not_comparable"] == dict.fromkeys(evaluate.GENERATION_KEYS, collapsed["reason"])
    # music that never collapses and never drifts: the drift point is null and says why
    music_left = np.concatenate([samples[:seed_samples], samples[20 * rate:]])
    table = evaluate.generated_table(music_left, rate, seed_samples, 400, reference)
    calm = evaluate.generation_metrics("clean", "clean", table, ranges, profile, learned, d,
                                       seed_frames=80, steps=400, frame=400, rate=rate,
                                       generators=check, non_finite=0)
    assert calm["not_comparable"] == {} and not calm["generation_collapsed"]
    if calm["drift"]["drift_second"] is None:
        assert "no drift within the 10 s" in calm["not_measured"]["drift.drift_second"]
    assert len(table) == 10 and calm["drift"]["seconds"] == 10


def test_sequence_streams_score_and_the_training_log(caplog):
    import logging

    import keras

    from audiorepro.continuation import model, train

    recordings, prepared = _prepared()
    streams = train.sequence_streams(prepared, 3)
    assert list(streams) == list(data.SPLITS) and len(streams["train"]) == 22  # 64 in 3s
    inputs, targets = prepared.inputs_and_targets("train")
    x, y = streams["train"][21]
    assert np.array_equal(x, inputs[63:]) and np.array_equal(y, targets[63:])
    keras.utils.set_random_seed(13)
    net = model.build(SETTINGS, {"learning_rate": 0.001})
    test_mse, predictions = train.score(net, streams, prepared, 3)
    assert test_mse == pytest.approx(float(net.evaluate(streams["test"], verbose=0)))
    valid_inputs, _ = prepared.inputs_and_targets("valid")
    np.testing.assert_allclose(predictions, np.asarray(net(valid_inputs)), atol=1e-6)
    _, short = _prepared(test_fraction=0.01)
    assert train.score(net, train.sequence_streams(short, 3), short, 3)[0] is None
    found, _ = _metrics(recordings, prepared)
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        train.log_summary(found)
    assert "best 0.2 (epoch 1), test 0.21" in caplog.text
    assert ("WARNING: the network does not beat" in caplog.text) == (not found["beats_baselines"])


def test_generated_audio_counts_what_is_not_finite_and_writes_it_as_the_centre():
    import keras

    from audiorepro.continuation import generate, model

    _, prepared = _prepared()
    keras.utils.set_random_seed(14)
    net = model.build(SETTINGS, {"learning_rate": 0.001})
    audio, seed_frames, check, non_finite = generate.generated_audio(net, prepared, 7, 3)
    assert seed_frames == 5 and audio.dtype == np.int16 and len(audio) == (5 + 7) * 20
    assert np.array_equal(audio[:100], data.to_audio(prepared.seed_sequence(), prepared.stats))
    assert check["steps"] == 3 and check["max_abs_difference"] < 1e-5 and non_finite == 0
    dense = net.get_layer("next_frame")
    kernel, bias = dense.get_weights()
    dense.set_weights([kernel, np.full_like(bias, np.nan)])
    audio, _, _, non_finite = generate.generated_audio(net, prepared, 7, 3)
    assert non_finite == 7 * 20
    assert (audio[100:] == data.denormalise(0.0, prepared.stats)).all()


def _job(rule, inputs, outputs, params, wildcards):
    """A stand-in for Snakemake's job object, of Snakemake's own containers."""
    from types import SimpleNamespace

    from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params, Wildcards

    return SimpleNamespace(rule=rule, input=InputFiles(fromdict=inputs),
                           output=OutputFiles(fromdict=outputs), params=Params(fromdict=params),
                           wildcards=Wildcards(fromdict=wildcards), log=Log(), threads=1)


def test_the_split_train_and_generate_rules_on_a_tiny_recording(tmp_path, music_30s):
    import json

    from audiorepro.continuation import generate, model, split, train

    samples, rate, _ = music_30s
    table = _write_recordings(tmp_path / "audio", [samples[: 8 * rate]], rate)
    audio = str(tmp_path / "audio")
    m = {"frame": 400, "seq_len": 5, "units": 4, "layers": 1, "cell": "lasagne"}
    fractions = {"fractions": [0.8, 0.1, 0.1]}
    split.run(_job("continuation_split", {"audio": audio, "table": str(table)},
                   {"table": str(tmp_path / "split.csv")},
                   {"rate": rate, "split": fractions, "frame": 400, "seq_len": 5},
                   {"protocol": "clean"}))
    written = pd.read_csv(tmp_path / "split.csv")
    assert written.sequences.tolist() == [51, 6, 6] and (written.fitted_on == "train").all()
    seed = tmp_path / "models" / "clean" / "seed1"
    out = {"model": str(seed / "model.keras"), "history": str(seed / "history.csv"),
           "metrics": str(seed / "metrics.json")}
    t = {"seed": 1, "batch_size": 16, "epochs": 1, "optimizer": "adam", "learning_rate": 0.001}
    made = train.run(_job("continuation_train", {"audio": audio, "table": str(table),
                                                 "split": str(tmp_path / "split.csv")}, out,
                          {"rate": rate, "split": fractions, "model": m, "training": t,
                           "backend": "tensorflow"}, {"variant": "clean", "seed": "1"}))
    trained = json.loads((seed / "metrics.json").read_text())
    assert set(trained) == set(made) | {"diverged", "divergence", "epochs_run", "best_epoch",
                                        "monitor", "best_monitored", "resumed_from_epoch",
                                        "parameters", "training_seconds", "device"}
    assert trained["epochs_run"] == 1 and trained["monitor"] == "val_loss"
    assert trained["parameters"]["total"] == model.parameter_breakdown(400, 4, 1)["total"] == 8_500
    assert trained["paper_size_parameters"] == 55_232_200 and trained["variant"] == "clean"
    assert not (seed / "backup").exists()
    gen = {"wav": str(seed / "generated.wav"), "drift": str(seed / "drift.csv"),
           "metrics": str(seed / "generation.json")}
    generate.run(_job("continuation_generate", {"audio": audio, "table": str(table),
                                                "model": out["model"], "metrics": out["metrics"]},
                      gen, {"rate": rate, "split": fractions, "model": m,
                            "generation": {"seconds": 2.0, "compare_steps": 3},
                            "drift": {"measure": ["spectral_distance", "rms"], "consecutive": 3,
                                      "percentiles": [1.0, 99.0], "n_fft": 512},
                            "backend": "tensorflow"}, {"variant": "clean", "seed": "1"}))
    generated, back_rate = soundfile.read(gen["wav"], dtype="int16")
    assert back_rate == rate and len(generated) == (5 + 80) * 400
    assert len(pd.read_csv(gen["drift"])) == 2  # the seed (5 frames) is left out
    document = json.loads((seed / "generation.json").read_text())
    assert (document["seed_frames"], document["generated_frames"]) == (5, 80)
    assert document["generators"]["max_abs_difference"] < 1e-4
    assert document["diverged"] is False and document["drift"]["seconds"] == 2
