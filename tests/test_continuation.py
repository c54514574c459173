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
    figures.write_generated(tmp_path / "generated.wav", samples[:rate], rate)
    back, back_rate = soundfile.read(tmp_path / "generated.wav", dtype="int16")
    assert back_rate == rate and np.array_equal(back, samples[:rate])
    assert len(figures.FIGURES) == 5 and "generated.wav" in figures.FIGURES
