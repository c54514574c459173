"""Synthetic stand-in for Orchive tapes (the orcas study).

:func:`generate` writes ``n_tapes`` mp3 files named like Orchive tapes (``2006-001A.mp3``,
``2006-001B.mp3``, ...; 44.1 kHz stereo by default) and returns the ground truth: one row per
sound with columns ``file, start, end, kind`` (seconds). Each tape holds:

- ``ocean``: continuous sea noise (1/f^1.6 noise with a slow swell), one row spanning the tape;
- ``boat``: on a fraction of the tapes, boats passing: propeller harmonics (blade rate 40-120 Hz)
  and cavitation noise beating at the blade rate, rising and falling over the pass;
- orcas, in stretches of activity that alternate with quiet stretches:
  ``whistle`` tonal sweeps (up, down, up-down, down-up or flat with vibrato; fundamental mostly
  2-6 kHz and kept below 7.8 kHz so it survives conversion to 16 kHz; 0.5-2 s; two weaker
  harmonics), ``call`` pulsed calls (pulse rate 400-1500 Hz, a harmonic comb shaped by two broad
  resonances, 0.5-1.5 s), and ``clicks`` echolocation click trains (Gabor clicks at 5-16 kHz,
  click interval 30-250 ms drifting over a 1.5-6 s train);
- ``speech``: researchers talking: voiced speech (f0 85-210 Hz with declination and accents,
  vowel formants moving syllable to syllable, fricative and plosive bursts) in words of 1-3
  syllables with word and phrase pauses; a stretch at the tape's start (the announcement) and
  more at random.

Left and right channels carry the same scene at slightly different gains plus independent tape
hiss. Everything comes from ``default_rng([seed, tape])``: the same seed gives the same samples
and bytes, and tape ``i`` does not depend on how many tapes are made. A tape is built in one
float32 array with background noise made block by block, so paper-size tapes (about 55 min)
need a few GB at most and are written one at a time.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .. import synth
from ..atomic import atomic_path
from ..audio import to_int16
from ..errors import InputError

KINDS = ("ocean", "boat", "whistle", "call", "clicks", "speech")
TRUTH_COLUMNS = ["file", "start", "end", "kind"]

# Content knobs (the config may override any of them; see synth_tape).
CONTENT = {
    "orca_active_seconds": 40.0,  # mean length of a stretch with orcas about
    "orca_quiet_seconds": 30.0,  # mean length of a stretch without
    "whistles_per_second": 0.35,  # while orcas are about
    "calls_per_second": 0.12,
    "click_trains_per_second": 0.04,
    "whistle_seconds": (0.5, 2.0),
    "whistle_level_db": (-26.0, -10.0),  # peak level, dBFS
    "call_level_db": (-28.0, -14.0),
    "click_level_db": (-24.0, -10.0),
    "speech_per_minute": 1.0,  # stretches of talk besides the announcement
    "speech_seconds": (3.0, 12.0),
    "speech_at_start": True,
    "speech_level_db": (-26.0, -16.0),  # RMS while voiced, dBFS
    "boat_fraction": 0.35,  # share of tapes with boats
    "boat_passes_per_hour": 3.0,  # at least one on a boat tape
    "boat_pass_seconds": (20.0, 120.0),
    "boat_level_db": (-30.0, -18.0),  # RMS at the closest point, dBFS
    "ocean_level_db": (-44.0, -34.0),  # RMS, dBFS
    "hiss_level_db": -66.0,
}

NOISE_BLOCK = 1 << 20  # samples per independent block of background noise
# Peterson & Barney's vowel formants (Hz, adult male): F1, F2, F3.
VOWELS = np.array([[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480],
                   [570, 840, 2410], [660, 1720, 2410], [490, 1350, 1690], [440, 1020, 2240]])


def tape_name(index):
    """Orchive-style name of tape ``index`` (from 0): 2006-001A.mp3, 2006-001B.mp3, 2006-002A..."""
    return f"2006-{index // 2 + 1:03d}{'AB'[index % 2]}.mp3"


def _level(rng, bounds):
    return float(synth.db_to_amplitude(rng.uniform(*bounds)))


# --- background -----------------------------------------------------------------------------------


def _add_stationary(out, rng, make, fade=4096):
    """Add to ``out`` a stationary noise made by ``make(rng, m) -> m samples`` in independent
    blocks joined by sine/cosine cross-fades (the power stays constant through a join)."""
    n = len(out)
    ramp = (np.arange(fade) + 0.5) / fade * 0.5 * np.pi
    for pos in range(0, n, NOISE_BLOCK):
        m = min(NOISE_BLOCK + fade, n - pos)
        seg = make(rng, m)
        head = min(fade, m)
        if pos > 0:
            seg[:head] *= np.sin(ramp[:head])
        tail = min(fade, m - NOISE_BLOCK) if m > NOISE_BLOCK else 0
        if tail > 0:
            seg[NOISE_BLOCK:NOISE_BLOCK + tail] *= np.cos(ramp[:tail])
        out[pos:pos + m] += seg
    return out


def _swell(rng, n, rate, hz, depth):
    """A slow random wobble around 1 (about ``hz``, within 1 +- depth), as a function giving its
    float32 values for sample ``lo`` to ``hi``: long tapes never hold it whole."""
    control = 4.0 * hz  # control points per second
    k = int(n / rate * control) + 4
    wobble = synth.moving_average(rng.standard_normal(k), 4)
    wobble = depth * np.tanh(wobble / max(np.std(wobble), 1e-9))

    def values(lo, hi):
        return (1.0 + np.interp(np.arange(lo, hi) / rate * control, np.arange(k), wobble)).astype(
            np.float32)

    return values


def ocean(rng, n, rate, level):
    """Sea noise: 1/f^1.6 Gaussian noise (flat below 30 Hz) of RMS about ``level`` with a slow
    swell (float32)."""
    out = np.zeros(n, np.float32)
    _add_stationary(out, rng, lambda r, m: synth.coloured_noise(r, m, 1.6, rate, low_hz=30.0))
    swell = _swell(rng, n, rate, 0.15, 0.3)
    for lo in range(0, n, NOISE_BLOCK):
        hi = min(lo + NOISE_BLOCK, n)
        out[lo:hi] *= swell(lo, hi) * np.float32(level)
    return out


def boat_pass(rng, n, rate, level):
    """A boat going by (``n`` samples): propeller harmonics and blade-rate-modulated cavitation
    noise under a rise-and-fall envelope peaking at RMS ``level``."""
    blade = rng.uniform(40.0, 120.0) * (1.0 + synth.random_walk(rng, n, 2e-6, smooth=rate // 10))
    k = int(min(20, 1500 // blade.max()))
    hum = synth.harmonic_tone(blade, rate, np.arange(1, k + 1) ** -1.0 * rng.uniform(0.5, 1, k),
                              rng.uniform(0, 2 * np.pi))
    cavitation = synth.band_noise(rng, n, rate, rng.uniform(200, 500), rng.uniform(3000, 7000))
    beat = 1.0 + rng.uniform(0.3, 0.8) * np.sin(synth.phase_of(blade, rate))
    x = synth.normalise_rms(hum) * rng.uniform(0.4, 1.0) + cavitation * beat
    u = np.linspace(-1.0, 1.0, n)
    envelope = np.exp(-0.5 * (u / rng.uniform(0.25, 0.45)) ** 2)  # closest at the middle
    return synth.normalise_rms(x) * envelope * level


# --- orcas ----------------------------------------------------------------------------------------


def whistle(rng, rate, seconds, level):
    """A whistle: a tonal sweep (fundamental below 7.8 kHz) with two weaker harmonics."""
    n = max(int(seconds * rate), 16)
    centre = float(np.clip(np.exp(rng.normal(np.log(4000.0), 0.35)), 1500.0, 7000.0))
    ratio = rng.uniform(1.15, 1.8)
    low, high = centre / np.sqrt(ratio), centre * np.sqrt(ratio)
    shape = rng.integers(5)
    if shape == 0:
        f0 = synth.chirp_contour(low, high, n, "exponential", rng.uniform(-0.8, 0.8))
    elif shape == 1:
        f0 = synth.chirp_contour(high, low, n, "exponential", rng.uniform(-0.8, 0.8))
    elif shape == 2:
        f0 = synth.rise_fall_contour(n, low, high, rng.uniform(0.3, 0.7), low * rng.uniform(1, 1.2))
    elif shape == 3:
        f0 = synth.rise_fall_contour(n, high, low, rng.uniform(0.3, 0.7),
                                     high / rng.uniform(1, 1.2))
    else:
        f0 = synth.vibrato(np.full(n, centre), rate, rng.uniform(0.01, 0.04), rng.uniform(3, 9))
    f0 = np.ravel(f0) * (1.0 + synth.random_walk(rng, n, 1e-5, smooth=max(rate // 200, 1)))
    f0 *= min(1.0, 7800.0 / f0.max())
    amplitudes = np.array([1.0, rng.uniform(0.1, 0.4), rng.uniform(0.03, 0.15)])
    tone = synth.harmonic_tone(f0, rate, amplitudes, rng.uniform(0, 2 * np.pi))
    envelope = synth.attack_decay_envelope(n, rate, rng.uniform(0.02, 0.1), rng.uniform(0.05, 0.25))
    return synth.normalise_peak(tone * envelope) * level


def pulsed_call(rng, rate, seconds, level):
    """A pulsed call: a harmonic comb at the pulse rate (400-1500 Hz, rising, sometimes jumping)
    weighted by two broad resonances, with a little noise."""
    n = max(int(seconds * rate), 16)
    start = rng.uniform(400.0, 1000.0)
    f0 = synth.chirp_contour(start, start * rng.uniform(1.1, 1.5), n, "exponential",
                             rng.uniform(-0.5, 0.5)).ravel()
    if rng.random() < 0.5:  # the abrupt jump in pulse rate many calls have
        f0[int(n * rng.uniform(0.5, 0.85)):] *= rng.uniform(1.2, 1.6)
    k = np.arange(1, int(9000 // f0.max()) + 1)
    centres = [rng.uniform(1200, 2500), rng.uniform(3500, 6000)]
    weights = k ** -0.3 * (0.05 + synth.resonance_gain(k * np.mean(f0), centres, [1500, 2500],
                                                        [1.0, rng.uniform(0.3, 0.8)]))
    comb = synth.harmonic_tone(f0, rate, weights, rng.uniform(0, 2 * np.pi))
    buzz = synth.band_noise(rng, n, rate, 800, 6000) * 0.15
    envelope = synth.attack_decay_envelope(n, rate, rng.uniform(0.01, 0.05), rng.uniform(0.05, 0.2))
    return synth.normalise_peak((synth.normalise_rms(comb) + buzz) * envelope) * level


def click_train(rng, rate, seconds, level):
    """Echolocation clicks over ``seconds``: Gabor clicks at 5-16 kHz, the interval between
    clicks drifting from 30-250 ms to a fraction or multiple of it; returns (signal, n_clicks)."""
    n = max(int(seconds * rate), 16)
    first = rng.uniform(0.03, 0.25)
    last = float(np.clip(first * rng.uniform(0.3, 1.5), 0.01, 0.3))
    gaps = np.linspace(first, last, int(seconds / min(first, last)) + 2)
    onsets = np.cumsum(gaps) - gaps[0]
    onsets = (onsets[onsets < seconds - 0.002] * rate).astype(np.int64)
    width = rng.uniform(6e-5, 1.5e-4)
    length = int(8 * width * rate) + 1
    t = (np.arange(length) - length / 2) / rate
    carrier = rng.uniform(5000.0, 16000.0)
    phases = rng.uniform(0, 2 * np.pi, len(onsets))[:, None]
    gains = synth.db_to_amplitude(rng.normal(0.0, 2.0, len(onsets)))[:, None]
    clicks = gains * np.exp(-0.5 * (t / width) ** 2) * np.sin(2 * np.pi * carrier * t + phases)
    out = np.zeros(n)
    index = onsets[:, None] + np.arange(length)
    ok = index < n
    np.add.at(out, index[ok], clicks[ok])
    return synth.normalise_peak(out) * level, len(onsets)


# --- speech ---------------------------------------------------------------------------------------


def _word(rng, rate, syllables, f0_base, formant_scale, accent):
    """One spoken word: voiced syllables with moving formants, some consonant noise."""
    lengths = (rng.uniform(0.12, 0.28, syllables) * rate).astype(int)
    n = int(lengths.sum())
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    centre_times = (bounds[:-1] + bounds[1:]) / 2
    targets = VOWELS[rng.integers(len(VOWELS), size=syllables)] * formant_scale
    samples = np.arange(n)
    # formants glide between the syllables' vowel targets (coarticulation)
    if syllables > 1:
        formants = np.stack([np.interp(samples, centre_times, targets[:, i]) for i in range(3)], 1)
    else:
        formants = np.repeat(targets, n, axis=0)
    pitch = f0_base * (1 + accent * np.sin(np.pi * samples / n) + rng.uniform(-0.05, 0.05))
    pitch = pitch * (1 + synth.random_walk(rng, n, 4e-5, smooth=max(rate // 100, 1)))
    k = np.arange(1, int(5500 // pitch.max()) + 1)[:, None]
    grid = np.unique(np.append(np.arange(0, n, 64), n - 1))
    coarse = k ** -1.0 * (0.02 + synth.resonance_gain(k * pitch[grid], formants[grid][None],
                                                      [90.0, 120.0, 180.0], [1.0, 0.6, 0.3]))
    weights = np.stack([np.interp(samples, grid, row) for row in coarse])
    voiced = synth.harmonic_tone(pitch, rate, weights, rng.uniform(0, 2 * np.pi))
    # each syllable swells and fades: a raised sine over its length
    local = (samples - bounds[np.searchsorted(bounds, samples, side="right") - 1])
    span = lengths[np.searchsorted(bounds, samples, side="right") - 1]
    envelope = np.sin(np.pi * np.clip(local / span, 0, 1)) ** 0.7
    out = synth.normalise_rms(voiced * envelope)
    for onset, size in zip(bounds[:-1], lengths):
        if rng.random() < 0.5:  # a fricative or plosive leading into the syllable
            m = int(min(size, rate * rng.uniform(0.015, 0.1)))
            burst = synth.band_noise(rng, m, rate, rng.uniform(2000, 4000), rng.uniform(5000, 7500))
            burst *= synth.attack_decay_envelope(m, rate, 0.003, m / rate * 0.5)
            synth.place(out, burst * rng.uniform(0.2, 0.6), onset)
    return out


def speech(rng, rate, seconds, level):
    """A stretch of talk of at most ``seconds``: words of 1-3 syllables, word and phrase pauses,
    falling intonation over each phrase, each word at RMS ``level``. Returns the signal, which
    ends with its last word (empty if not even one word fits)."""
    f0_base = rng.uniform(85.0, 210.0)
    formant_scale = rng.uniform(0.95, 1.2) if f0_base > 150 else rng.uniform(0.9, 1.05)
    n = int(seconds * rate)
    out = np.zeros(n)
    t = end = 0
    while True:
        words = rng.integers(3, 8)
        for w in range(words):
            declination = 1.0 - 0.15 * w / words
            word = _word(rng, rate, int(rng.integers(1, 4)), f0_base * declination, formant_scale,
                         rng.uniform(0.0, 0.25))
            if t + len(word) > n:
                return out[:end] * level
            synth.place(out, word, t)
            end = t + len(word)
            t = end + int(rng.uniform(0.04, 0.2) * rate)
        t += int(rng.uniform(0.25, 0.6) * rate)


# --- one tape -------------------------------------------------------------------------------------


def _orca_periods(rng, seconds, active_mean, quiet_mean):
    """Alternating active/quiet stretches with exponential lengths; the active ones as (start,
    end) pairs."""
    periods, t = [], 0.0
    active = rng.random() < active_mean / (active_mean + quiet_mean)
    while t < seconds:
        d = rng.exponential(active_mean if active else quiet_mean)
        if active:
            periods.append((t, min(t + d, seconds)))
        t += d
        active = not active
    return periods


def _poisson(rng, periods, rate):
    """Sorted event times of a Poisson process of ``rate`` per second inside ``periods``."""
    times = [s + rng.random(rng.poisson(rate * (e - s))) * (e - s) for s, e in periods]
    return np.sort(np.concatenate(times)) if times else np.zeros(0)


def synth_tape(rng, seconds, rate=44100, channels=2, **content):
    """One tape: (float32 samples of shape (n, channels) in [-1, 1], truth rows as dicts with
    ``start``, ``end``, ``kind``). ``content`` overrides the knobs in :data:`CONTENT`."""
    unknown = set(content) - set(CONTENT)
    if unknown:
        raise TypeError(f"unknown content settings: {', '.join(sorted(unknown))}")
    p = {**CONTENT, **content}
    n = int(round(seconds * rate))
    tape = ocean(rng, n, rate, _level(rng, p["ocean_level_db"]))
    rows = [{"start": 0.0, "end": n / rate, "kind": "ocean"}]

    def add(kind, signal, start):
        start = int(round(start * rate))
        synth.place(tape, signal, start)
        end = min(start + len(signal), n)
        rows.append({"start": start / rate, "end": end / rate, "kind": kind})

    if rng.random() < p["boat_fraction"]:
        passes = max(1, rng.poisson(p["boat_passes_per_hour"] * seconds / 3600.0))
        for _ in range(passes):
            d = min(rng.uniform(*p["boat_pass_seconds"]), seconds)
            add("boat", boat_pass(rng, int(d * rate), rate, _level(rng, p["boat_level_db"])),
                rng.uniform(0.0, seconds - d))
    periods = _orca_periods(rng, seconds, p["orca_active_seconds"], p["orca_quiet_seconds"])
    for start in _poisson(rng, periods, p["whistles_per_second"]):
        d = rng.uniform(*p["whistle_seconds"])
        add("whistle", whistle(rng, rate, d, _level(rng, p["whistle_level_db"])), start)
    for start in _poisson(rng, periods, p["calls_per_second"]):
        add("call", pulsed_call(rng, rate, rng.uniform(0.5, 1.5), _level(rng, p["call_level_db"])),
            start)
    for start in _poisson(rng, periods, p["click_trains_per_second"]):
        signal, _ = click_train(rng, rate, rng.uniform(1.5, 6.0), _level(rng, p["click_level_db"]))
        add("clicks", signal, start)
    talk = list(rng.random(rng.poisson(p["speech_per_minute"] * seconds / 60.0)) * seconds)
    if p["speech_at_start"]:
        talk.insert(0, rng.uniform(0.0, 1.0))
    for start in talk:
        d = min(rng.uniform(*p["speech_seconds"]), max(seconds - start, 0.0))
        talk_signal = speech(rng, rate, d, _level(rng, p["speech_level_db"]))
        if len(talk_signal):
            add("speech", talk_signal, start)
    gains = np.ones(channels)
    gains[rng.permutation(channels)[1:]] = rng.uniform(0.7, 1.0, channels - 1)
    out = np.empty((n, channels), np.float32)
    hiss = float(synth.db_to_amplitude(p["hiss_level_db"]))
    for lo in range(0, n, NOISE_BLOCK):
        hi = min(lo + NOISE_BLOCK, n)
        noise = rng.standard_normal((hi - lo, channels), dtype=np.float32) * np.float32(hiss)
        out[lo:hi] = tape[lo:hi, None] * gains.astype(np.float32) + noise
    np.clip(out, -1.0, 1.0, out=out)
    return out, rows


def generate(out_dir, *, n_tapes, seconds, seed, rate=44100, channels=2, **content):
    """Write ``n_tapes`` synthetic tapes of ``seconds`` each as mp3 into ``out_dir`` (which
    appears only once complete); return the ground truth DataFrame ``file, start, end, kind``
    (seconds; ``file`` is the mp3's name), sorted by file and start.

    Tape ``i`` depends only on (seed, i). ``content`` overrides :data:`CONTENT`. Bad arguments
    raise InputError before anything is written. Paper size: 200 tapes of about 3,300 s.
    """
    from ..audio import write_mp3

    synth.check_count("n_tapes", n_tapes, 1)
    synth.check_number("seconds", seconds, 1.0)
    synth.check_count("seed", seed)
    synth.check_count("rate", rate, 16000)
    synth.check_count("channels", channels, 1)
    unknown = set(content) - set(CONTENT)
    if unknown:
        raise InputError("orcas synthetic", f"unknown settings: {', '.join(sorted(unknown))}")
    frames = []
    with atomic_path(Path(out_dir), is_dir=True) as tmp:
        for i in range(n_tapes):
            samples, rows = synth_tape(np.random.default_rng([seed, i]), seconds, rate, channels,
                                       **content)
            pcm = np.empty(samples.shape, np.int16)
            for lo in range(0, len(samples), NOISE_BLOCK):  # in blocks: to_int16 works in float64
                pcm[lo:lo + NOISE_BLOCK] = to_int16(samples[lo:lo + NOISE_BLOCK])
            del samples
            write_mp3(tmp / tape_name(i), pcm, rate)
            del pcm
            frame = pd.DataFrame(rows, columns=["start", "end", "kind"])
            frame.insert(0, "file", tape_name(i))
            frames.append(frame)
    truth = pd.concat(frames, ignore_index=True)
    return truth.sort_values(["file", "start"], kind="stable", ignore_index=True)[TRUTH_COLUMNS]
