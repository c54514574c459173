"""Synthetic data sets: layout and format as the real ones, ground truth, seeding, physics."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from audiorepro import synth
from audiorepro.catsdogs import synth as synth_catsdogs
from audiorepro.whales import synth as synth_whales
from audiorepro.audio import read_audio
from audiorepro.errors import InputError

CATSDOGS = dict(
    n_cats=6,
    n_dogs=5,
    missing_cat_numbers=[2, 4],
    n_test_cats=2,
    n_test_dogs=3,
    min_seconds=0.9,
    max_seconds=4.0,
    total_seconds=20.0,
    rate=16000,
    seed=7,
)
WHALES = dict(
    n_train=60,
    n_test=10,
    positive_fraction=0.25,
    snr_db_range=(-10.0, 10.0),
    rate=2000,
    seconds=2.0,
    seed=7,
)


def digest(folder):
    """Relative path -> sha256 of every file under ``folder``."""
    folder = Path(folder)
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def catsdogs(tmp_path_factory):
    out = tmp_path_factory.mktemp("catsdogs") / "raw"
    truth = synth_catsdogs.generate(out, **CATSDOGS)
    return out, truth


@pytest.fixture(scope="module")
def whales(tmp_path_factory):
    out = tmp_path_factory.mktemp("whales") / "raw"
    truth = synth_whales.generate(out, **WHALES)
    return out, truth


# --- primitives -----------------------------------------------------------------------------------


def test_mix_at_snr_gives_the_requested_ratio():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((3, 8000))
    tone = np.zeros((3, 8000))
    tone[:, 1000:3000] = np.sin(np.arange(2000) * 0.3)
    mixed, gain = synth.mix_at_snr(tone, noise, [-6.0, 0.0, 12.0], signal_mask=tone != 0)
    signal = (mixed - noise)[:, 1000:3000]
    snr = 10 * np.log10(np.mean(signal**2, axis=1) / np.mean(noise**2, axis=1))
    np.testing.assert_allclose(snr, [-6.0, 0.0, 12.0], atol=0.01)


def test_coloured_noise_tilts_towards_low_frequencies():
    rng = np.random.default_rng(1)
    rate = 8000
    spectra = {}
    for colour in ("white", "pink", "brown"):
        x = synth.coloured_noise(rng, (4, 8000), colour, rate)
        assert np.allclose(synth.rms(x), 1.0)
        spectra[colour] = (
            synth.band_power(x, rate, 20, 200).mean() / synth.band_power(x, rate, 2000, 3800).mean()
        )
    assert spectra["white"] < spectra["pink"] < spectra["brown"]


def test_harmonic_tone_does_not_alias_and_chirp_ends_where_asked():
    rate = 2000
    f0 = synth.chirp_contour(300.0, 600.0, 2000)
    assert f0[0] == pytest.approx(300.0) and f0[-1] == pytest.approx(600.0)
    tone = synth.harmonic_tone(f0, rate, [1.0, 0.5, 0.25])  # 3rd harmonic would pass 1 kHz
    power = synth.stft_power(tone, 256, 128)
    freqs = np.fft.rfftfreq(256, 1 / rate)
    # the last frames hold f0 ~ 600 Hz and its 2nd harmonic would alias to ~ 800 Hz: nothing there
    assert power[-3:, (freqs > 750) & (freqs < 850)].max() < 1e-3 * power[-3:].max()


def test_fast_fft_length_and_moving_average():
    assert [synth.fast_fft_length(n) for n in (1, 7, 97, 16001)] == [1, 8, 100, 16200]
    x = np.arange(10.0)
    np.testing.assert_allclose(synth.moving_average(x, 3)[1:-1], x[1:-1])


# --- cats and dogs --------------------------------------------------------------------------------


def test_catsdogs_layout_and_numbering(catsdogs):
    out, _ = catsdogs
    assert sorted(p.name for p in out.iterdir()) == ["cats_dogs", "train_test_split.csv"]
    names = {p.name for p in (out / "cats_dogs").iterdir()}
    cats = {f"cat_{k}.wav" for k in (1, 3, 5, 6, 7, 8)}  # 2 and 4 skipped
    dogs = {f"dog_barking_{k}.wav" for k in range(5)}
    assert names == cats | dogs


def test_cat_numbers_at_paper_size():
    numbers = synth_catsdogs.cat_numbers(164, [104, 111, 145])
    assert len(numbers) == 164 and numbers[0] == 1 and numbers[-1] == 167
    assert not {104, 111, 145} & set(numbers)


def test_catsdogs_wav_format(catsdogs):
    out, truth = catsdogs
    for row in truth.itertuples():
        path = out / "cats_dogs" / row.file
        info = soundfile.info(str(path))
        assert (info.format, info.subtype, info.samplerate, info.channels) == (
            "WAV",
            "PCM_16",
            16000,
            1,
        )
        samples, _ = read_audio(path, rate=16000, channels=1, min_seconds=0.9, max_seconds=4.0)
        assert len(samples) == row.n_samples
        assert np.abs(samples).max() > 1000  # not silent


def test_catsdogs_split_csv_has_the_real_column_format(catsdogs):
    out, truth = catsdogs
    text = (out / "train_test_split.csv").read_text()
    assert text.splitlines()[0] == ",test_cat,test_dog,train_cat,train_dog"
    table = pd.read_csv(out / "train_test_split.csv", index_col=0)
    assert table.index.name is None and list(table.index) == list(range(4))
    counts = table.notna().sum().to_dict()
    assert counts == {"test_cat": 2, "test_dog": 3, "train_cat": 4, "train_dog": 2}
    last = text.splitlines()[-1].split(",")
    assert last[0] == "3" and "" in last[1:]  # shorter columns padded with empty cells
    for label in ("cat", "dog"):
        test, train = (set(table[f"{s}_{label}"].dropna()) for s in ("test", "train"))
        assert not test & train
        assert test | train == set(truth.loc[truth.label == label, "file"])
        assert set(truth.loc[truth.split == "test", "file"]) >= test


def test_catsdogs_durations_and_ground_truth(catsdogs):
    _, truth = catsdogs
    assert truth.duration_s.between(0.9, 4.0).all()
    assert truth.duration_s.sum() == pytest.approx(20.0, abs=len(truth) / 16000)
    assert (truth.n_calls >= 1).all()
    for row in truth.itertuples():
        assert row.file.startswith("cat_" if row.label == "cat" else "dog_barking_")
        onsets = [float(t) for t in row.onsets_s.split(";")]
        assert len(onsets) == row.n_calls == len(row.call_kinds.split(";"))
        assert onsets == sorted(onsets) and 0 <= onsets[0] and onsets[-1] < row.duration_s


def test_durations_rescale_to_the_paper_total():
    rng = np.random.default_rng(3)
    d = synth_catsdogs.draw_durations(rng, 277, 0.9, 18.0, 1922.0)
    assert d.min() >= 0.9 and d.max() <= 18.0
    assert d.sum() == pytest.approx(1922.0, abs=0.01)
    assert d.std() > 2.0  # skewed lengths, not all equal


def test_catsdogs_is_seeded(catsdogs, tmp_path):
    out, _ = catsdogs
    again = tmp_path / "again"
    synth_catsdogs.generate(again, **CATSDOGS)
    assert digest(again) == digest(out)
    other = tmp_path / "other"
    synth_catsdogs.generate(other, **{**CATSDOGS, "seed": 8})
    a, b = digest(out), digest(other)
    assert a.keys() == b.keys() and sum(a[k] != b[k] for k in a) >= len(a) - 1


def test_meows_are_more_tonal_than_barks():
    rate = 16000
    meows = [synth_catsdogs.meow(np.random.default_rng(i), rate, 0.8)[0] for i in range(12)]
    barks = [synth_catsdogs.bark(np.random.default_rng(i), rate, 0.25, 400.0)[0] for i in range(12)]
    flat_meow = np.mean([synth.spectral_flatness(x) for x in meows])
    flat_bark = np.mean([synth.spectral_flatness(x) for x in barks])
    assert flat_meow < 0.5 * flat_bark


@pytest.mark.parametrize(
    "change",
    [
        {"n_cats": -1},
        {"n_dogs": 0},
        {"n_test_cats": 7},
        {"n_test_dogs": -2},
        {"min_seconds": 5.0},
        {"min_seconds": 0.0},
        {"total_seconds": 100.0},
        {"missing_cat_numbers": [0]},
        {"max_seconds": "long"},
        {"seed": -1},
        {"rate": 8000.5},
    ],
)
def test_catsdogs_bad_arguments_write_nothing(tmp_path, change):
    with pytest.raises(InputError):
        synth_catsdogs.generate(tmp_path / "raw", **{**CATSDOGS, **change})
    assert list(tmp_path.iterdir()) == []


def test_catsdogs_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    written = []

    def failing_write(path, samples, rate, format):
        written.append(path)
        if len(written) == 3:
            raise OSError("disk full")
        Path(path).write_bytes(b"x")

    monkeypatch.setattr(synth, "write_pcm16", failing_write)
    with pytest.raises(OSError):
        synth_catsdogs.generate(tmp_path / "raw", **CATSDOGS)
    assert list(tmp_path.iterdir()) == []


# --- whales ---------------------------------------------------------------------------------------


def test_whales_layout_and_train_csv(whales):
    out, _ = whales
    assert sorted(p.name for p in out.iterdir()) == ["test", "train", "train.csv"]
    lines = (out / "train.csv").read_text().splitlines()
    assert lines[0] == "clip_name,label"
    assert [line.split(",")[0] for line in lines[1:]] == [f"train{k}.aiff" for k in range(1, 61)]
    assert {line.split(",")[1] for line in lines[1:]} == {"0", "1"}
    assert {p.name for p in (out / "train").iterdir()} == {f"train{k}.aiff" for k in range(1, 61)}
    assert {p.name for p in (out / "test").iterdir()} == {f"test{k}.aiff" for k in range(1, 11)}


def test_whales_aiff_is_big_endian_pcm16(whales):
    out, _ = whales
    path = out / "train" / "train6.aiff"
    raw = path.read_bytes()
    assert raw[:4] == b"FORM" and raw[8:12] == b"AIFF"
    info = soundfile.info(str(path))
    assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == (
        "AIFF",
        "PCM_16",
        2000,
        1,
        4000,
    )
    ssnd = raw.index(b"SSND") + 16  # chunk id, size, offset, block size
    big_endian = np.frombuffer(raw[ssnd : ssnd + 8000], dtype=">i2")
    samples, _ = read_audio(path, rate=2000, channels=1)
    np.testing.assert_array_equal(big_endian, samples)


def test_whales_exact_positive_counts(whales):
    out, truth = whales
    labels = pd.read_csv(out / "train.csv")["label"]
    assert labels.sum() == round(0.25 * 60)
    assert truth[truth.split == "test"].label.sum() == round(0.25 * 10)


@pytest.mark.parametrize("seed", range(25))
def test_example_clips_whatever_the_seed(seed):
    labels = synth_whales.draw_labels(np.random.default_rng(seed), 20, 5, example_clips=True)
    assert labels.sum() == 5 and not labels[3] and labels[5]


def test_example_clips_in_the_data(whales):
    out, truth = whales
    labels = pd.read_csv(out / "train.csv").set_index("clip_name")["label"]
    assert labels["train4.aiff"] == 0 and labels["train6.aiff"] == 1
    six = truth.set_index("clip_name").loc["train6.aiff"]
    assert six.snr_db == WHALES["snr_db_range"][1] and six.distractors == ""


def test_whales_ground_truth_matches_files(whales):
    out, truth = whales
    train = truth[truth.split == "train"].set_index("clip_name")
    csv = pd.read_csv(out / "train.csv").set_index("clip_name")["label"]
    assert (train.label == csv.reindex(train.index)).all()
    pos, neg = truth[truth.label == 1], truth[truth.label == 0]
    assert pos.snr_db.between(-10, 10).all() and neg.snr_db.isna().all()
    assert pos.f_start_hz.between(40, 90).all() and pos.f_end_hz.between(150, 280).all()
    assert pos.duration_s.between(0.5, 1.2).all()
    assert (pos.onset_s >= 0).all() and (pos.onset_s + pos.duration_s <= 2.0).all()


def test_upcalls_rise_in_frequency(tmp_path):
    rate = 2000
    out = tmp_path / "raw"
    truth = synth_whales.generate(
        out,
        **{
            **WHALES,
            "n_train": 40,
            "n_test": 0,
            "positive_fraction": 0.5,
            "snr_db_range": (8.0, 12.0),
        },
    )
    loud = truth[(truth.label == 1) & (truth.distractors == "")]
    assert len(loud) >= 5
    freqs = np.fft.rfftfreq(128, 1 / rate)
    band = (freqs >= 30) & (freqs <= 320)
    for row in loud.itertuples():
        x, _ = read_audio(out / "train" / row.clip_name, rate=rate)
        power = synth.stft_power(x.astype(float), 128, 32)[:, band]
        power /= np.median(power, axis=0)  # whiten: the noise is far stronger at low frequencies
        centres = (np.arange(len(power)) * 32 + 64) / rate
        inside = (centres > row.onset_s + 0.1) & (centres < row.onset_s + row.duration_s - 0.1)
        peak = freqs[band][power[inside].argmax(axis=1)]
        q = max(len(peak) // 4, 1)  # medians: a frame may pick the 2nd harmonic instead
        first, middle, last = (np.median(p) for p in (peak[:q], peak[q:-q], peak[-q:]))
        assert first < middle < last and last > first + 50, row.clip_name


def test_whales_are_seeded(tmp_path):
    small = {**WHALES, "n_train": 12, "n_test": 2}
    synth_whales.generate(tmp_path / "a", **small)
    synth_whales.generate(tmp_path / "b", **small)
    synth_whales.generate(tmp_path / "c", **{**small, "seed": 8})
    a, b, c = (digest(tmp_path / k) for k in "abc")
    assert a == b
    assert sum(a[k] != c[k] for k in a if k.endswith(".aiff")) == 14


@pytest.mark.parametrize(
    "change",
    [
        {"n_train": -5},
        {"n_train": 0},
        {"n_test": -1},
        {"positive_fraction": 1.5},
        {"snr_db_range": (10.0, -10.0)},
        {"snr_db_range": "loud"},
        {"seconds": 1.0},
        {"rate": 100},
        {"positive_fraction": "most"},
        {"seed": 1.5},
    ],
)
def test_whales_bad_arguments_write_nothing(tmp_path, change):
    with pytest.raises(InputError):
        synth_whales.generate(tmp_path / "raw", **{**WHALES, **change})
    assert list(tmp_path.iterdir()) == []
