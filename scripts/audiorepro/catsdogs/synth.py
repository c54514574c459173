"""Synthetic stand-in for the Kaggle "audio-cats-and-dogs" data set (the catsdogs study).

:func:`generate` writes, under ``out_dir``::

    cats_dogs/cat_N.wav            N = 1, 2, ... skipping ``missing_cat_numbers``
    cats_dogs/dog_barking_N.wav    N = 0 .. n_dogs - 1
    train_test_split.csv           ",test_cat,test_dog,train_cat,train_dog", columns padded empty

16-bit PCM mono WAV at ``rate``, lengths between ``min_seconds`` and ``max_seconds`` adding up to
about ``total_seconds``, as the real set. Each file is a recording: room noise (coloured noise,
sometimes mains hum, now and then a broadband knock), with calls at varied loudness and spacing.
Cats mostly meow (harmonic, rising-falling pitch, moving formants, vibrato), sometimes chirp,
growl or hiss; dogs mostly bark in runs (short noisy-harmonic bursts with a sharp attack),
sometimes whine or growl. Pitch ranges, lengths and timbres overlap on purpose, and each file has
its own microphone colouring, so that a small classifier learns the classes but not perfectly.

The returned DataFrame is the ground truth: one row per file.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import synth
from ..atomic import atomic_path
from ..audio import to_int16
from ..errors import InputError

CAT_PREFIX = "cat_"
DOG_PREFIX = "dog_barking_"
SPLIT_COLUMNS = ["test_cat", "test_dog", "train_cat", "train_dog"]
# Sub-stream tags for np.random.default_rng([seed, tag, ...]).
_DURATIONS, _SPLIT, _CAT, _DOG = 0, 1, 2, 3
# Mix of call kinds per class: mostly the typical call, some that sound like the other class.
CAT_CALLS = {"meow": 0.72, "chirp": 0.1, "growl": 0.1, "hiss": 0.08}
DOG_CALLS = {"bark": 0.74, "whine": 0.16, "growl": 0.1}


@dataclass
class Call:
    """One vocalisation placed in a file."""

    kind: str
    onset: int  # sample
    signal: np.ndarray
    f0: float  # mean fundamental in Hz, NaN for unpitched calls


@dataclass
class Recording:
    """A file's content before it is written, with what the ground truth reports."""

    audio: np.ndarray
    calls: list = field(default_factory=list)
    background_dbfs: float = 0.0
    hum_hz: float = 0.0
    n_knocks: int = 0
    lowpass_hz: float = 0.0


# --- arguments ------------------------------------------------------------------------------------


def _check_arguments(n_cats, n_dogs, missing, n_test_cats, n_test_dogs, lo, hi, total, rate, seed):
    synth.check_count("n_cats", n_cats, 1)
    synth.check_count("n_dogs", n_dogs, 1)
    synth.check_count("n_test_cats", n_test_cats)
    synth.check_count("n_test_dogs", n_test_dogs)
    synth.check_count("rate", rate, 8000)  # meows and barks reach several kHz
    synth.check_count("seed", seed)
    if n_test_cats > n_cats:
        raise InputError("n_test_cats", f"{n_test_cats} is more than n_cats ({n_cats})")
    if n_test_dogs > n_dogs:
        raise InputError("n_test_dogs", f"{n_test_dogs} is more than n_dogs ({n_dogs})")
    for number in missing:
        synth.check_count("missing_cat_numbers", number, 1)
    lo = synth.check_number("min_seconds", lo, 0.0, low_open=True)
    hi = synth.check_number("max_seconds", hi, lo)
    n = n_cats + n_dogs
    if total is not None:
        synth.check_number("total_seconds", total, n * lo, n * hi)


# --- layout ---------------------------------------------------------------------------------------


def cat_numbers(n_cats, missing_cat_numbers=()):
    """The first ``n_cats`` numbers 1, 2, ... that are not in ``missing_cat_numbers``."""
    missing = set(int(m) for m in missing_cat_numbers)
    numbers, n = [], 0
    while len(numbers) < n_cats:
        n += 1
        if n not in missing:
            numbers.append(n)
    return numbers


def file_name(label, number):
    """``cat_N.wav`` or ``dog_barking_N.wav``, as in the real data set."""
    return f"{CAT_PREFIX if label == 'cat' else DOG_PREFIX}{number}.wav"


def draw_durations(rng, n, min_seconds, max_seconds, total_seconds=None):
    """``n`` file lengths in seconds: skewed (many short, a few long), within the bounds.

    With ``total_seconds``, the draws are rescaled (those not pinned at a bound) until they add up
    to it, as the real set's 277 files add up to 1,922 s.
    """
    mean = total_seconds / n if total_seconds else 0.5 * (min_seconds + max_seconds)
    sigma = 0.75
    d = np.exp(rng.normal(np.log(mean) - 0.5 * sigma**2, sigma, n))
    d = np.clip(d, min_seconds, max_seconds)
    if total_seconds is None:
        return d
    for _ in range(100):
        excess = total_seconds - d.sum()
        free = (d > min_seconds) & (d < max_seconds) if excess > 0 else d > min_seconds
        if abs(excess) < 1e-9 * total_seconds or not free.any():
            break
        d[free] *= 1.0 + excess / d[free].sum()
        d = np.clip(d, min_seconds, max_seconds)
    return d


def split_table(rng, cat_names, dog_names, n_test_cats, n_test_dogs):
    """The train_test_split.csv frame: test files drawn at random per class, columns padded."""
    columns = {}
    for label, names, n_test in (("cat", cat_names, n_test_cats), ("dog", dog_names, n_test_dogs)):
        order = rng.permutation(len(names))
        columns[f"test_{label}"] = [names[i] for i in order[:n_test]]
        columns[f"train_{label}"] = [names[i] for i in order[n_test:]]
    return pd.DataFrame({k: pd.Series(columns[k], dtype=object) for k in SPLIT_COLUMNS})


# --- calls ----------------------------------------------------------------------------------------


def _formant_weights(f0, rate, n_harmonics, tilt, centres, bandwidths, gains, step=32):
    """Per-harmonic, per-sample weights: a source tilt k**-tilt times a formant envelope.

    ``centres`` is (formants,) or (samples, formants) for moving formants. The envelope changes
    slowly, so it is evaluated every ``step`` samples and interpolated in between.
    """
    n = len(f0)
    grid = np.unique(np.append(np.arange(0, n, step), n - 1))
    centres = np.asarray(centres, dtype=float)
    centres = centres[grid] if centres.ndim == 2 else centres
    k = np.arange(1, n_harmonics + 1)[:, None]
    coarse = k ** (-tilt) * (0.15 + synth.resonance_gain(k * f0[grid], centres, bandwidths, gains))
    samples = np.arange(n)
    return np.stack([np.interp(samples, grid, row) for row in coarse])


def meow(rng, rate, seconds):
    """A meow: rising-falling pitch with vibrato, formants moving from 'i' through 'a' to 'u'."""
    n = int(seconds * rate)
    base = rng.uniform(380, 850)
    peak = min(base * rng.uniform(1.1, 1.6), 1300)
    f0 = synth.rise_fall_contour(
        n, base, peak, rng.uniform(0.25, 0.6), base * rng.uniform(0.7, 1.0)
    )
    f0 = synth.vibrato(f0, rate, rng.uniform(0.004, 0.025), rng.uniform(4, 8), rng.uniform(0, 6.3))
    f0 = f0 * (1 + synth.random_walk(rng, n, 2e-4, smooth=int(0.02 * rate)))
    u = np.linspace(0, 1, n)[:, None]
    opening = np.sin(np.pi * u) ** 1.5  # mouth opens then closes
    centres = np.hstack(
        [
            700 + rng.uniform(250, 500) * opening,  # F1 rises as the mouth opens
            2300 - rng.uniform(500, 900) * u,  # F2 falls: i -> a -> u
            np.full_like(u, rng.uniform(2900, 3600)),
        ]
    )
    tilt = rng.uniform(0.6, 1.4)
    weights = _formant_weights(
        f0, rate, int(7500 // base), tilt, centres, [250, 350, 500], [1, 0.8, 0.4]
    )
    tone = synth.harmonic_tone(f0, rate, weights, rng.uniform(0, 6.3))
    breath = synth.band_noise(rng, n, rate, 1500, 6000) * synth.db_to_amplitude(
        rng.uniform(-32, -18)
    )
    envelope = synth.attack_decay_envelope(n, rate, rng.uniform(0.02, 0.08), rng.uniform(0.08, 0.3))
    out = (synth.normalise_rms(tone) + breath) * envelope * (0.6 + 0.4 * opening[:, 0])
    return out, float(np.mean(f0))


def chirp_call(rng, rate, seconds):
    """A cat's short chirp or mew: brief, tonal, rising."""
    n = int(seconds * rate)
    start = rng.uniform(500, 900)
    f0 = synth.chirp_contour(start, start * rng.uniform(1.15, 1.6), n, "exponential", 0.5)
    weights = (np.arange(1, 7) ** -1.5)[:, None] * np.ones((1, n))
    tone = synth.harmonic_tone(f0, rate, weights, rng.uniform(0, 6.3))
    envelope = synth.attack_decay_envelope(n, rate, 0.012, 0.5 * seconds)
    return synth.normalise_rms(tone) * envelope, float(np.mean(f0))


def bark(rng, rate, seconds, f_peak):
    """A bark: quick pitch jump and drop, harmonics drowned in breath noise, percussive envelope."""
    n = int(seconds * rate)
    f0 = synth.rise_fall_contour(
        n,
        f_peak * rng.uniform(0.7, 0.9),
        f_peak,
        rng.uniform(0.1, 0.3),
        f_peak * rng.uniform(0.5, 0.75),
        sharpness=0.7,
    )
    f0 = f0 * (1 + synth.random_walk(rng, n, 1.5e-3, smooth=int(0.004 * rate)))  # rough voice
    centres = [rng.uniform(450, 900), rng.uniform(1100, 1900), rng.uniform(2400, 3400)]
    bandwidths = [rng.uniform(250, 500), rng.uniform(300, 600), 700]
    weights = _formant_weights(
        f0, rate, int(6000 // f_peak), 0.5, centres, bandwidths, [1, 0.7, 0.3]
    )
    tone = synth.normalise_rms(synth.harmonic_tone(f0, rate, weights, rng.uniform(0, 6.3)))
    hnr_db = rng.uniform(-4, 10)
    noise = synth.spectral_shape(
        rng.standard_normal(n),
        rate,
        lambda f: synth.resonance_gain(f, centres, np.multiply(bandwidths, 2), [1, 0.8, 0.4]),
    )
    noise = synth.normalise_rms(noise) * synth.db_to_amplitude(-hnr_db)
    envelope = synth.attack_decay_envelope(
        n, rate, rng.uniform(0.002, 0.012), seconds * rng.uniform(0.2, 0.45), "exponential"
    )
    envelope *= synth.tukey_envelope(n, 0.1)
    return (tone + noise) * envelope, float(np.mean(f0))


def whine(rng, rate, seconds):
    """A dog's whine: a high, nearly pure tone that slides, much like a thin meow."""
    n = int(seconds * rate)
    top = rng.uniform(550, 1250)
    f0 = synth.rise_fall_contour(
        n, top * rng.uniform(0.75, 0.95), top, rng.uniform(0.1, 0.5), top * rng.uniform(0.6, 0.9)
    )
    f0 = f0 * (1 + synth.random_walk(rng, n, 3e-4, smooth=int(0.01 * rate)))
    weights = (np.array([1.0, 0.35, 0.15, 0.06]) * rng.uniform(0.5, 1.5, 4))[:, None] * np.ones(
        (1, n)
    )
    tone = synth.harmonic_tone(f0, rate, weights, rng.uniform(0, 6.3))
    envelope = synth.attack_decay_envelope(n, rate, rng.uniform(0.03, 0.1), rng.uniform(0.1, 0.3))
    return synth.normalise_rms(tone) * envelope, float(np.mean(f0))


def growl(rng, rate, seconds, f_low, f_high):
    """A growl: a low pulsing voice through a dark vocal tract, heavily mixed with noise."""
    n = int(seconds * rate)
    f0 = rng.uniform(f_low, f_high) * (1 + synth.random_walk(rng, n, 1e-3, smooth=int(0.01 * rate)))
    centres = [rng.uniform(300, 700), rng.uniform(900, 1600), rng.uniform(2000, 3000)]
    bandwidths = np.array([300.0, 500.0, 800.0])
    gains = [1.0, 0.6, 0.25]
    weights = _formant_weights(f0, rate, int(5000 // f_low), 1.0, centres, bandwidths, gains)
    tone = synth.normalise_rms(synth.harmonic_tone(f0, rate, weights))
    noise = synth.normalise_rms(
        synth.spectral_shape(
            rng.standard_normal(n),
            rate,
            lambda f: synth.resonance_gain(f, centres, 2 * bandwidths, gains),
        )
    )
    t = np.arange(n) / rate
    pulse = 0.55 + 0.45 * np.sin(2 * np.pi * rng.uniform(15, 35) * t)  # the rattle of a growl
    swell = 1 + 0.6 * synth.normalise_peak(synth.random_walk(rng, n, 1.0, smooth=int(0.15 * rate)))
    envelope = synth.attack_decay_envelope(n, rate, rng.uniform(0.03, 0.1), rng.uniform(0.05, 0.2))
    mix = tone + noise * synth.db_to_amplitude(rng.uniform(-3, 6))
    corner = rng.uniform(700, 1600)  # growls are dark: little above a couple of kHz
    mix = synth.spectral_shape(mix, rate, lambda f: 1 / (1 + (f / corner) ** 2))
    return mix * pulse * swell * envelope, float(np.mean(f0))


def hiss(rng, rate, seconds):
    """A cat's hiss: unvoiced, high broadband noise."""
    n = int(seconds * rate)
    noise = synth.band_noise(rng, n, rate, rng.uniform(1500, 3000), min(7000, 0.45 * rate))
    envelope = synth.attack_decay_envelope(n, rate, rng.uniform(0.01, 0.05), rng.uniform(0.05, 0.2))
    return noise * envelope, float("nan")


# --- a file ---------------------------------------------------------------------------------------


def _pick(rng, weights):
    kinds = list(weights)
    return kinds[rng.choice(len(kinds), p=np.array(list(weights.values())))]


def _call_length(rng, kind):
    """Typical length in seconds of one call of ``kind`` (a bark run is drawn bark by bark)."""
    low, high = {
        "meow": (0.3, 1.5),
        "chirp": (0.1, 0.3),
        "growl": (0.4, 1.5),
        "hiss": (0.3, 1.0),
        "bark": (0.08, 0.35),
        "whine": (0.3, 1.2),
    }[kind]
    return rng.uniform(low, high)


def _synth_call(rng, rate, kind, seconds, label, bark_pitch):
    if kind == "meow":
        return meow(rng, rate, seconds)
    if kind == "chirp":
        return chirp_call(rng, rate, seconds)
    if kind == "bark":
        return bark(rng, rate, seconds, bark_pitch * rng.uniform(0.92, 1.08))
    if kind == "whine":
        return whine(rng, rate, seconds)
    if kind == "hiss":
        return hiss(rng, rate, seconds)
    low, high = (110, 280) if label == "cat" else (80, 220)
    return growl(rng, rate, seconds, low, high)


_SHORTEST = {"bark": 0.06, "chirp": 0.08}  # seconds; a call cut shorter is not worth placing


def _call_events(rng, label, seconds):
    """(kind, onset s, length s) of each call: calls or bark runs separated by silences."""
    events, t = [], rng.uniform(0.02, min(0.8, 0.3 * seconds))
    while True:
        kind = _pick(rng, CAT_CALLS if label == "cat" else DOG_CALLS)
        run = int(rng.integers(1, 7)) if kind == "bark" else 1
        for _ in range(run):
            room = seconds - t - 0.01
            if room < _SHORTEST.get(kind, 0.2):
                if not events:  # every file has at least one call, however short the file
                    events.append((kind, t, max(room, 0.05)))
                return events
            length = min(_call_length(rng, kind), room)
            events.append((kind, t, length))
            t += length + (rng.uniform(0.05, 0.35) if kind == "bark" else 0.0)
        t += rng.exponential(0.7) + 0.1


def _background(rng, n, rate):
    """Room noise, sometimes mains hum, at unit-ish RMS; returns (noise, hum frequency or 0)."""
    noise = synth.coloured_noise(rng, n, rng.uniform(0.3, 2.0), rate, low_hz=30)
    hum_hz = 0.0
    if rng.random() < 0.3:
        hum_hz = float(rng.choice([50.0, 60.0]))
        weights = np.array([1, 0.2, 0.6, 0.1, 0.35, 0.05]) * rng.uniform(0.3, 1.0, 6)
        hum = synth.harmonic_tone(np.full(n, hum_hz), rate, weights, rng.uniform(0, 6.3))
        noise = noise + synth.normalise_rms(hum) * synth.db_to_amplitude(rng.uniform(-10, 6))
    return synth.normalise_rms(noise), hum_hz


def _knocks(rng, n, rate, level):
    """Occasional broadband events (a door, a bump, handling noise) at up to the calls' level."""
    out = np.zeros(n)
    count = rng.poisson(0.06 * n / rate)
    for _ in range(count):
        m = int(rng.uniform(0.02, 0.25) * rate)
        burst = synth.coloured_noise(rng, m, rng.uniform(0, 1.5), rate)
        burst *= synth.attack_decay_envelope(m, rate, 0.001, m / rate / 4, "exponential")
        synth.place(
            out, burst * level * synth.db_to_amplitude(rng.uniform(-18, 0)), rng.integers(0, n)
        )
    return out, count


def _microphone(rng, x, rate):
    """Each file's own recording chain: a high-pass and a low-pass at a random corner."""
    lowpass = float(rng.choice([rng.uniform(2500, 5000), rng.uniform(5000, 0.5 * rate)]))
    highpass = rng.uniform(40, 200)

    def gain(f):
        return 1 / np.sqrt(1 + (f / lowpass) ** 6) / np.sqrt(1 + (highpass / np.maximum(f, 1)) ** 4)

    return synth.spectral_shape(x, rate, gain), lowpass


def synth_recording(rng, label, n, rate):
    """One file's audio (float, peak below 1) and what went into it."""
    seconds = n / rate
    bark_pitch = rng.uniform(150, 700)  # one dog, one voice per file
    calls = []
    for kind, onset, length in _call_events(rng, label, seconds):
        signal, f0 = _synth_call(rng, rate, kind, length, label, bark_pitch)
        loud_db = rng.uniform(-6, 3) if rng.random() > 0.12 else rng.uniform(-20, -10)  # quiet ones
        signal = synth.normalise_peak(signal) * synth.db_to_amplitude(loud_db)
        calls.append(Call(kind, int(onset * rate), signal, f0))
    voice = np.zeros(n)
    for call in calls:
        synth.place(voice, call.signal, call.onset)
    call_rms = synth.rms(voice, mask=np.abs(voice) > 1e-3 * np.abs(voice).max())
    background, hum_hz = _background(rng, n, rate)
    background *= call_rms * synth.db_to_amplitude(-rng.uniform(12, 40))
    knocks, n_knocks = _knocks(rng, n, rate, np.abs(voice).max())
    mix, lowpass = _microphone(rng, voice + background + knocks, rate)
    gain = synth.db_to_amplitude(rng.uniform(-18, -1)) / np.abs(mix).max()
    return Recording(
        audio=mix * gain,
        calls=calls,
        background_dbfs=float(synth.amplitude_to_db(synth.rms(background) * gain)),
        hum_hz=hum_hz,
        n_knocks=int(n_knocks),
        lowpass_hz=lowpass,
    )


def _truth_row(name, label, number, split, n, rate, rec):
    f0s = [c.f0 for c in rec.calls if np.isfinite(c.f0)]
    return {
        "file": name,
        "label": label,
        "number": number,
        "split": split,
        "duration_s": n / rate,
        "n_samples": n,
        "n_calls": len(rec.calls),
        "onsets_s": ";".join(f"{c.onset / rate:.3f}" for c in rec.calls),
        "call_kinds": ";".join(c.kind for c in rec.calls),
        "mean_f0_hz": float(np.mean(f0s)) if f0s else float("nan"),
        "background_dbfs": rec.background_dbfs,
        "hum_hz": rec.hum_hz,
        "n_knocks": rec.n_knocks,
        "lowpass_hz": rec.lowpass_hz,
        "peak_dbfs": float(synth.amplitude_to_db(np.abs(rec.audio).max())),
    }


def generate(
    out_dir,
    *,
    n_cats,
    n_dogs,
    missing_cat_numbers,
    n_test_cats,
    n_test_dogs,
    min_seconds,
    max_seconds,
    total_seconds,
    rate,
    seed,
):
    """Write the synthetic cats-and-dogs data set into ``out_dir``; return its ground truth.

    Paper size: n_cats=164, n_dogs=113, missing_cat_numbers=(104, 111, 145), n_test_cats=49,
    n_test_dogs=49, min_seconds=0.9, max_seconds=18, total_seconds=1922, rate=16000.
    ``total_seconds`` None leaves the drawn lengths as they are. The same arguments give
    byte-identical files. ``out_dir`` appears only once complete (it is replaced if it exists).
    Bad arguments raise InputError before anything is written.
    """
    try:
        missing = list(missing_cat_numbers or ())
    except TypeError:
        raise InputError("missing_cat_numbers", "must be a list of numbers") from None
    bounds = (min_seconds, max_seconds, total_seconds)
    _check_arguments(n_cats, n_dogs, missing, n_test_cats, n_test_dogs, *bounds, rate, seed)
    files = [("cat", k) for k in cat_numbers(n_cats, missing)] + [("dog", k) for k in range(n_dogs)]
    seconds = draw_durations(np.random.default_rng([seed, _DURATIONS]), len(files), *bounds)
    lengths = np.clip(
        np.round(seconds * rate), np.ceil(min_seconds * rate), np.floor(max_seconds * rate)
    ).astype(int)
    names = [file_name(label, k) for label, k in files]
    split_rng = np.random.default_rng([seed, _SPLIT])
    table = split_table(split_rng, names[:n_cats], names[n_cats:], n_test_cats, n_test_dogs)
    test = set(table["test_cat"].dropna()) | set(table["test_dog"].dropna())
    rows = []
    with atomic_path(Path(out_dir), is_dir=True) as tmp:
        (tmp / "cats_dogs").mkdir()
        for (label, number), name, n in zip(files, names, lengths):
            rng = np.random.default_rng([seed, _CAT if label == "cat" else _DOG, number])
            rec = synth_recording(rng, label, int(n), rate)
            synth.write_pcm16(tmp / "cats_dogs" / name, to_int16(rec.audio), rate, "WAV")
            split = "test" if name in test else "train"
            rows.append(_truth_row(name, label, number, split, int(n), rate, rec))
        table.to_csv(tmp / "train_test_split.csv")
    return pd.DataFrame(rows)
