"""Synthetic stand-in for the Kaggle "whale-detection-challenge" data (the whales study).

:func:`generate` writes, under ``out_dir``::

    train.csv           "clip_name,label", rows trainN.aiff,0|1 for N = 1 .. n_train in order
    train/trainN.aiff   clips of ``seconds`` at ``rate`` (2 s at 2 kHz in the real set)
    test/testN.aiff     the unlabelled test clips (their labels are in the ground truth only)

16-bit PCM mono AIFF (big-endian), as the real clips. Every clip is ocean noise: coloured noise
heavy at low frequencies, its level and colour varying from clip to clip and slowly within a clip,
with a recorder's anti-alias roll-off. Exactly ``round(positive_fraction * n)`` clips of each split,
at random places, carry a right-whale upcall: a sweep rising from 40-90 Hz to 150-280 Hz over
0.5-1.2 s, slightly bent, with one or two weaker harmonics, at an in-band SNR drawn from
``snr_db_range``. Distractors (steady tonal lines, down-sweeps, click trains, broadband bursts)
appear in negatives and, less often, in positives.

The SNR is in-band: the upcall's mean power over its duration against the noise power between
the call's start and end frequencies over the whole clip. A call at 0 dB in-band stands out
clearly in a spectrogram (its power is in one bin at a time); about -12 dB is barely visible.

The study's figures show ``train4`` (a negative) and ``train6`` (a positive): whatever the seed,
clip 4 of the training split is a negative and clip 6 a clear positive (SNR at the top of the
range, a long, wide sweep on the right of the clip, no distractors), when the counts allow it;
the number of positives stays exact.

Synthesis is vectorised over blocks of clips; each block has its own random stream
(``[seed, split, block]``), so a clip does not depend on how many blocks follow it.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .. import synth
from ..atomic import atomic_path
from ..audio import to_int16
from ..errors import InputError

BLOCK = 500  # clips synthesised at once: 500 x 4000 samples of float64 is 16 MB per array
SPLITS = {"train": 1, "test": 2}  # random-stream tags
_LABELS = 0
EXAMPLE_NEGATIVE, EXAMPLE_POSITIVE = 4, 6  # the clips the figures show, numbered from 1
# Chance that a negative clip carries each distractor; positives carry them half as often.
DISTRACTORS = {"tonal": 0.2, "downsweep": 0.15, "clicks": 0.2, "burst": 0.15}
POSITIVE_DISTRACTOR_FACTOR = 0.5
UPCALL = {  # ranges of the upcall's parameters
    "f_start_hz": (40.0, 90.0),
    "f_end_hz": (150.0, 280.0),
    "duration_s": (0.5, 1.2),
    "curvature": (-0.5, 0.5),
}


# --- arguments ------------------------------------------------------------------------------------


def _check_arguments(n_train, n_test, positive_fraction, snr_db_range, rate, seconds, seed):
    synth.check_count("n_train", n_train, 1)
    synth.check_count("n_test", n_test)
    synth.check_count("rate", rate, 1000)  # the upcall and its harmonic reach 500 Hz
    synth.check_count("seed", seed)
    synth.check_number("positive_fraction", positive_fraction, 0.0, 1.0)
    if isinstance(snr_db_range, str) or np.size(snr_db_range) != 2:
        raise InputError("snr_db_range", f"must be two numbers [low, high], got {snr_db_range!r}")
    low = synth.check_number("snr_db_range", snr_db_range[0])
    synth.check_number("snr_db_range", snr_db_range[1], low)
    synth.check_number("seconds", seconds, UPCALL["duration_s"][1] + 0.1)


# --- labels ---------------------------------------------------------------------------------------


def draw_labels(rng, n, n_positive, example_clips=False):
    """Boolean labels of ``n`` clips with exactly ``n_positive`` true, at random places.

    With ``example_clips``, clip EXAMPLE_NEGATIVE is made negative and clip EXAMPLE_POSITIVE
    positive (numbered from 1) by swapping labels with random other clips, so the count holds.
    """
    labels = np.zeros(n, dtype=bool)
    labels[rng.choice(n, n_positive, replace=False)] = True
    if not example_clips:
        return labels
    neg, pos = EXAMPLE_NEGATIVE - 1, EXAMPLE_POSITIVE - 1
    if neg < n and labels[neg] and n_positive < n:
        other = rng.choice(np.flatnonzero(~labels))
        labels[[neg, other]] = [False, True]
    if pos < n and not labels[pos] and n_positive > 0:
        candidates = np.flatnonzero(labels & (np.arange(n) != neg))
        if len(candidates):
            other = rng.choice(candidates)
            labels[[pos, other]] = [True, False]
    return labels


# --- sounds, a block of clips at a time -----------------------------------------------------------


def ocean_noise(rng, b, n, rate):
    """Unit-RMS ocean noise for ``b`` clips: red-to-brown noise, a sensor floor, a slow swell,
    and the recorder's response (AC coupling, anti-alias roll-off).

    Returns (noise, spectral exponent per clip).
    """
    exponent = rng.uniform(0.8, 2.0, b)
    noise = synth.coloured_noise(rng, (b, n), exponent, rate, low_hz=8.0)
    noise += synth.coloured_noise(rng, (b, n), "white") * rng.uniform(0.01, 0.15, (b, 1))
    t = np.arange(n) / rate
    swell = 1 + rng.uniform(0, 0.35, (b, 1)) * np.sin(
        2 * np.pi * rng.uniform(0.2, 1.0, (b, 1)) * t + rng.uniform(0, 2 * np.pi, (b, 1))
    )
    corner = rng.uniform(0.7, 0.95, (b, 1)) * 0.5 * rate
    highpass = rng.uniform(3, 12, (b, 1))  # hydrophones are AC-coupled: no DC

    def recorder(f):
        return f / np.sqrt(f**2 + highpass**2) / np.sqrt(1 + (f / corner) ** 12)

    noise = synth.spectral_shape(noise * swell, rate, recorder)
    return synth.normalise_rms(noise), exponent


def draw_upcalls(rng, b, seconds):
    """Upcall parameters for ``b`` clips (a dict of arrays), onsets keeping the call inside."""
    p = {key: rng.uniform(low, high, b) for key, (low, high) in UPCALL.items()}
    p["onset_s"] = rng.uniform(0.05, 1.0, b) * (seconds - p["duration_s"] - 0.05)
    p["harmonic_2"] = rng.uniform(0.1, 0.45, b)
    p["harmonic_3"] = np.where(rng.random(b) < 0.5, rng.uniform(0.05, 0.2, b), 0.0)
    p["n_harmonics"] = 1 + (p["harmonic_3"] > 0)
    p["taper"] = rng.uniform(0.3, 0.9, b)
    p["phase"] = rng.uniform(0, 2 * np.pi, b)
    return p


def upcall_signal(p, n, rate):
    """The upcalls of parameter dict ``p`` as (clips, n) rows, and their support masks."""
    u, inside = synth.event_time(n, p["onset_s"] * rate, p["duration_s"] * rate)
    col = {k: np.asarray(v)[:, None] for k, v in p.items()}
    f0 = synth.sweep_frequency(u, col["f_start_hz"], col["f_end_hz"], "linear", col["curvature"])
    weights = np.stack([np.ones_like(col["harmonic_2"]), col["harmonic_2"], col["harmonic_3"]])
    tone = synth.harmonic_tone(f0, rate, weights, p["phase"])
    envelope = synth.windowed_envelope(n, p["onset_s"] * rate, p["duration_s"] * rate, p["taper"])
    return tone * envelope * (0.7 + 0.3 * np.sin(np.pi * u)), inside


def scale_to_snr(signal, inside, noise, rate, low_hz, high_hz, snr_db):
    """Gain per row that puts ``signal`` (power over ``inside``) ``snr_db`` above the noise power
    between ``low_hz`` and ``high_hz``."""
    p_noise = synth.band_power(noise, rate, low_hz, high_hz)
    p_signal = synth.rms(signal, mask=inside) ** 2
    return np.sqrt(p_noise * 10 ** (np.asarray(snr_db) / 10) / np.maximum(p_signal, 1e-30))


def tonal_lines(rng, b, n, rate):
    """Steady tones (ships, instruments), drifting slightly, over part or all of the clip."""
    f = rng.uniform(40, 0.4 * rate, (b, 1)) * (
        1 + rng.uniform(-0.01, 0.01, (b, 1)) * np.linspace(-1, 1, n)
    )
    tone = synth.harmonic_tone(f, rate, np.stack([np.ones((b, 1)), rng.uniform(0, 0.5, (b, 1))]))
    start = rng.uniform(-0.5, 0.6, b) * n
    return tone * synth.windowed_envelope(n, start, rng.uniform(0.5, 1.5, b) * n, 0.3), 10 ** (
        rng.uniform(-14, -2, b) / 20
    )


def down_sweeps(rng, b, n, rate, noise, snr_range):
    """Falling sweeps (other species, vessels), at SNRs like the upcalls'."""
    p = {
        "f_start_hz": rng.uniform(150, 350, b),
        "f_end_hz": rng.uniform(50, 130, b),
        "duration_s": rng.uniform(0.3, 1.0, b),
        "curvature": rng.uniform(-0.5, 0.5, b),
        "harmonic_2": rng.uniform(0, 0.3, b),
        "harmonic_3": np.zeros(b),
        "taper": rng.uniform(0.3, 0.9, b),
        "phase": rng.uniform(0, 2 * np.pi, b),
    }
    p["onset_s"] = rng.uniform(0, 1, b) * (n / rate - p["duration_s"])
    sweep, inside = upcall_signal(p, n, rate)
    gain = scale_to_snr(
        sweep, inside, noise, rate, p["f_end_hz"], p["f_start_hz"], rng.uniform(*snr_range, b)
    )
    return sweep * gain[:, None]


def click_trains(rng, b, n, rate):
    """Trains of short broadband clicks (snapping shrimp, echolocation, the mooring)."""
    per_clip = rng.uniform(1, 25, (b, 1)) / n  # expected clicks per sample
    impulses = (rng.random((b, n)) < per_clip) * rng.uniform(-1, 1, (b, n))
    decay = np.exp(-np.arange(6) / rng.uniform(0.7, 2.0, (b, 1)))
    clicks = np.zeros((b, n))
    for lag in range(6):  # convolve with a short decaying kernel, all rows at once
        clicks[:, lag:] += impulses[:, : n - lag] * decay[:, lag : lag + 1] * (-1) ** lag
    return clicks, rng.uniform(2, 12, b)


def bursts(rng, b, n, rate):
    """Short broadband noise bursts (breaking waves, knocks, flow noise)."""
    noise = synth.coloured_noise(rng, (b, n), rng.uniform(0, 1.5, b), rate)
    length = rng.uniform(0.05, 0.4, b) * rate
    start = rng.uniform(0, 1, b) * (n - length)
    return noise * synth.windowed_envelope(n, start, length, 0.5), rng.uniform(0.7, 3, b)


def add_distractors(rng, audio, noise, has, rate, snr_range):
    """Add each distractor kind to the rows where ``has[kind]`` is true (in place).

    Levels are relative to the unit-RMS noise: clicks by their peak, the others by their RMS;
    down-sweeps get an in-band SNR as upcalls do.
    """
    n = audio.shape[1]
    for kind, mask in has.items():
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        if kind == "downsweep":
            audio[rows] += down_sweeps(rng, len(rows), n, rate, noise[rows], snr_range)
        elif kind == "clicks":
            sound, peak = click_trains(rng, len(rows), n, rate)
            audio[rows] += synth.normalise_peak(sound) * peak[:, None]
        else:
            sound, level = (tonal_lines if kind == "tonal" else bursts)(rng, len(rows), n, rate)
            audio[rows] += synth.normalise_rms(sound) * level[:, None]
    return audio


def synth_block(rng, labels, n, rate, snr_range, forced_positive=None):
    """Audio (clips, n) in [-1, 1] and ground-truth columns for one block of clips.

    ``forced_positive``: row index of the example positive (clear, right of the clip, no
    distractors), or None.
    """
    b = len(labels)
    noise, exponent = ocean_noise(rng, b, n, rate)
    p = draw_upcalls(rng, b, n / rate)
    p["snr_db"] = rng.uniform(*snr_range, b)
    has = {
        k: rng.random(b) < np.where(labels, prob * POSITIVE_DISTRACTOR_FACTOR, prob)
        for k, prob in DISTRACTORS.items()
    }
    if forced_positive is not None:
        _make_clear(p, forced_positive, n / rate, snr_range)
        for mask in has.values():
            mask[forced_positive] = False
    audio = noise.copy()
    rows = np.flatnonzero(labels)
    if len(rows):
        q = {k: v[rows] for k, v in p.items()}
        call, inside = upcall_signal(q, n, rate)
        gain = scale_to_snr(
            call, inside, noise[rows], rate, q["f_start_hz"], q["f_end_hz"], q["snr_db"]
        )
        audio[rows] += call * gain[:, None]
    add_distractors(rng, audio, noise, has, rate, snr_range)
    # Noise RMS in full-scale units, lowered where a loud event would clip.
    scale = np.minimum(10 ** (rng.uniform(-40, -22, b) / 20), 0.9 / np.abs(audio).max(axis=1))
    audio *= scale[:, None]
    truth = {
        k: np.where(labels, p[k], np.nan)
        for k in ("snr_db", "onset_s", "duration_s", "f_start_hz", "f_end_hz", "curvature")
    }
    truth["n_harmonics"] = np.where(labels, p["n_harmonics"], 0)
    truth["distractors"] = [";".join(k for k in has if has[k][i]) for i in range(b)]
    truth["noise_exponent"] = exponent
    truth["noise_dbfs"] = synth.amplitude_to_db(scale)
    return audio, truth


def _make_clear(p, i, seconds, snr_range):
    """Make upcall ``i`` an unmistakable one: loud, long, wide, late in the clip."""
    p["snr_db"][i] = snr_range[1]
    p["duration_s"][i] = max(p["duration_s"][i], 0.9)
    p["f_start_hz"][i] = min(p["f_start_hz"][i], 60.0)
    p["f_end_hz"][i] = max(p["f_end_hz"][i], 220.0)
    p["onset_s"][i] = max(seconds - p["duration_s"][i] - 0.15, 0.05)
    p["harmonic_2"][i] = max(p["harmonic_2"][i], 0.3)


# --- files ----------------------------------------------------------------------------------------


def _write_split(folder, split, labels, seed, n, rate, snr_range):
    """Synthesise and write one split's clips block by block; return its ground-truth frame."""
    folder.mkdir()
    frames = []
    for block, first in enumerate(range(0, len(labels), BLOCK)):
        rng = np.random.default_rng([seed, SPLITS[split], block])
        block_labels = labels[first : first + BLOCK]
        forced = None
        if split == "train" and first <= EXAMPLE_POSITIVE - 1 < first + len(block_labels):
            if block_labels[EXAMPLE_POSITIVE - 1 - first]:
                forced = EXAMPLE_POSITIVE - 1 - first
        audio, truth = synth_block(rng, block_labels, n, rate, snr_range, forced)
        names = [f"{split}{first + i + 1}.aiff" for i in range(len(block_labels))]
        for name, samples in zip(names, to_int16(audio)):
            synth.write_pcm16(folder / name, samples, rate, "AIFF")
        frames.append(
            pd.DataFrame(
                {"clip_name": names, "split": split, "label": block_labels.astype(int), **truth}
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def generate(out_dir, *, n_train, n_test, positive_fraction, snr_db_range, seed, rate=2000,
             seconds=2.0):
    """Write the synthetic whale data set into ``out_dir``; return its ground truth.

    One row per clip: clip_name, split (train/test), label, and for positives the upcall's
    snr_db, onset_s, duration_s, f_start_hz, f_end_hz, curvature, n_harmonics (NaN/0 for
    negatives); distractors (";"-joined kinds), noise_exponent, noise_dbfs. Paper size:
    n_train=30000, positive_fraction=7027/30000, rate=2000, seconds=2. Training clip 4 is a
    negative and clip 6 a clear positive whatever the seed (see the module docstring). The same
    arguments give byte-identical files; ``out_dir`` appears only once complete. Bad arguments
    raise InputError before anything is written.
    """
    _check_arguments(n_train, n_test, positive_fraction, snr_db_range, rate, seconds, seed)
    snr_range = tuple(float(v) for v in snr_db_range)
    n = int(round(seconds * rate))
    frames = []
    with atomic_path(Path(out_dir), is_dir=True) as tmp:
        for split, count in (("train", n_train), ("test", n_test)):
            rng = np.random.default_rng([seed, _LABELS, SPLITS[split]])
            labels = draw_labels(
                rng, count, int(round(positive_fraction * count)), example_clips=split == "train"
            )
            frames.append(_write_split(tmp / split, split, labels, seed, n, rate, snr_range))
        train = frames[0]
        train[["clip_name", "label"]].to_csv(tmp / "train.csv", index=False)
    return pd.concat(frames, ignore_index=True)
