"""Synthetic stand-in for the post's ~100 EDM songs, and its two controls (noise and a tone).

:func:`generate` writes ``song_000.mp3``, ``song_001.mp3``, ... (44.1 kHz stereo by default, as
downloaded songs are) into ``out_dir`` and returns the ground truth, one row per song. A song is
built the way dance music is: a tempo and a key, a four-bar chord progression, bars of sixteen
steps grouped into phrases of four or eight bars, and phrases that play sections (intro, build,
drop, break) in a changing order. Drums (kick with a falling pitch, snare or clap, hats), a bass
line, a lead that plays a call-and-answer motif transposed along the chords and moved by a
phrase-level contour, arpeggios, pads with slow attacks, risers and snare rolls that grow over a
build, and the "pump" of pads and bass ducking after each kick. Every note has an attack and a
decay, so time runs one way inside a note, a bar and a phrase: that is what makes the order of
chunks learnable here and not in noise. Tempo, key, scale, progression, swing, timbres, levels
and stereo placement vary between songs.

The controls are made as the post made them: white noise, and a 440 Hz tone built by tiling ONE
whole-sample cycle in numpy (at 16 kHz that cycle is round(16000 / 440) = 36 samples long, so the
tone is really 444.4 Hz: :func:`tiled_tone` returns the true frequency). :func:`sine_tone` is the
plain sampled sine the post first used (claim S7 compares the two).

Everything is vectorised over samples (events are placed by ``searchsorted`` over onset times,
never by a loop over samples) and seeded: the same arguments give the same bytes.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import soundfile

from .. import synth
from ..atomic import atomic_path
from ..audio import to_int16
from ..errors import InputError

SECTIONS = ("intro", "build", "drop", "break")
INTRO, BUILD, DROP, BREAK = range(4)
# Probability of the next phrase's section given this one's (rows and columns in SECTIONS order).
NEXT_SECTION = np.array([
    [0.3, 0.7, 0.0, 0.0],   # intro -> intro or build
    [0.0, 0.0, 1.0, 0.0],   # build -> drop
    [0.0, 0.2, 0.35, 0.45],  # drop -> build, drop or break
    [0.0, 0.8, 0.0, 0.2],   # break -> build or break
])
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Chord roots as scale degrees, one chord per bar (I-V-vi-IV and friends).
PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 3), (3, 4, 0, 5)),
    "minor": ((0, 5, 2, 6), (0, 3, 4, 4), (0, 6, 5, 6), (5, 6, 0, 0), (0, 3, 6, 2)),
}
# Harmonic amplitudes of the lead's waveforms, harmonic k = 1..K.
WAVES = ("saw", "square", "soft")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
STEPS_PER_BAR = 16
NOISE_BLOCK = 1 << 20  # noise is drawn in blocks of this many samples, one seeded stream each


# --- helpers --------------------------------------------------------------------------------------


def midi_to_hz(midi):
    """Frequency in Hz of MIDI note number(s) (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


def degree_to_semitones(degree, scale):
    """Semitones above the tonic of scale degree(s) (0 = tonic; 7 = tonic an octave up)."""
    degree = np.asarray(degree, dtype=int)
    return 12 * (degree // 7) + np.asarray(SCALES[scale])[degree % 7]


def wave_harmonics(wave, count, brightness=1.0):
    """Amplitudes of harmonics 1..count of a band-limited ``wave`` (saw, square or soft)."""
    k = np.arange(1, count + 1, dtype=float)
    if wave == "saw":
        amps = 1.0 / k
    elif wave == "square":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.0)
    elif wave == "soft":
        amps = np.where(k % 2 == 1, 1.0 / k**2, 0.0)
    else:
        raise ValueError(f"unknown wave {wave!r}")
    return amps * k ** (-(1.0 - brightness))  # brightness < 1 darkens the top


def since_onset(n, onsets):
    """For each of ``n`` samples: the index of the latest onset at or before it, the samples since
    that onset, and whether there was one. ``onsets`` are sorted sample positions."""
    positions = np.arange(n)
    index = np.searchsorted(onsets, positions, side="right") - 1
    valid = index >= 0
    index = np.maximum(index, 0)
    valid &= len(onsets) > 0
    elapsed = np.where(valid, positions - (onsets[index] if len(onsets) else 0), 0)
    return index, elapsed, valid


def note_voice(n, rate, onsets, durations, freqs, amps, harmonics, attack, decay, release=0.01):
    """A monophonic voice: each note from its onset (samples) for its duration (s), a raised-cosine
    attack of ``attack`` s, an exponential decay of time constant ``decay`` s (inf: sustained), a
    release of ``release`` s before the note ends, harmonics cut at Nyquist. Returns (n,) floats."""
    if len(onsets) == 0:
        return np.zeros(n)
    index, elapsed, valid = since_onset(n, onsets)
    tau = elapsed / rate
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip(tau / attack, 0.0, 1.0))
    gate = np.clip((durations[index] - tau) / release, 0.0, 1.0)
    body = np.exp(-tau / decay) if np.isfinite(decay) else 1.0
    envelope = np.where(valid, rise * gate * body * amps[index], 0.0)
    frequency = freqs[index]
    phase = 2.0 * np.pi * frequency * tau
    out = np.zeros(n)
    for k, weight in enumerate(harmonics, start=1):
        if weight:
            out += np.where(k * frequency < 0.45 * rate, weight, 0.0) * np.sin(k * phase)
    return envelope * out


def kick_voice(n, rate, onsets, amps, f_start, f_end, sweep, decay):
    """Kick drums: a sine whose pitch falls exponentially from ``f_start`` to ``f_end`` (time
    constant ``sweep`` s) under an exponential decay, plus a short click. Returns (n,) floats."""
    if len(onsets) == 0:
        return np.zeros(n)
    index, elapsed, valid = since_onset(n, onsets)
    tau = elapsed / rate
    phase = 2.0 * np.pi * (f_end * tau + (f_start - f_end) * sweep * (1.0 - np.exp(-tau / sweep)))
    envelope = np.where(valid & (tau < 8 * decay), amps[index] * np.exp(-tau / decay), 0.0)
    return envelope * (np.sin(phase) + 0.3 * np.exp(-tau / 0.002))


def noise_hits(noise, onsets, amps, decays):
    """Percussion from a noise bed: ``noise`` gated by an exponential decay after each onset
    (per-event amplitude and decay in samples). Returns an array like ``noise``."""
    if len(onsets) == 0:
        return np.zeros_like(noise)
    index, elapsed, valid = since_onset(len(noise), onsets)
    return noise * np.where(valid, amps[index] * np.exp(-elapsed / decays[index]), 0.0)


def _durations_to_next(onsets, rate, last, legato):
    """Seconds from each onset to the next (the last one to ``last``), times ``legato``."""
    following = np.append(onsets[1:], last)
    return legato * (following - onsets) / rate


# --- one song -------------------------------------------------------------------------------------


def song_style(rng):
    """Draw what makes one song differ from another: tempo, key, harmony, rhythm, timbre, levels."""
    scale = str(rng.choice(list(SCALES)))
    progressions = PROGRESSIONS[scale]
    motif_steps = rng.random(2 * STEPS_PER_BAR) < 0.4
    motif_steps[[0, STEPS_PER_BAR]] = True  # a motif starts each of its two bars
    return {
        "bpm": float(np.round(rng.uniform(100.0, 150.0), 1)),
        "tonic": int(rng.integers(0, 12)),
        "scale": scale,
        "progression": progressions[rng.integers(len(progressions))],
        "phrase_bars": int(rng.choice([4, 8])),
        "swing": float(rng.uniform(0.0, 0.2)),
        "lead_wave": str(rng.choice(WAVES)),
        "lead_brightness": float(rng.uniform(0.5, 1.0)),
        "lead_octave": int(rng.integers(5, 7)),
        "lead_attack": float(rng.uniform(0.003, 0.03)),
        "lead_decay": float(rng.uniform(0.15, 0.8)),
        "legato": float(rng.uniform(0.5, 0.95)),
        "motif_steps": motif_steps,
        # call (first bar) and answer (second bar) contours, in scale degrees
        "motif_degrees": np.cumsum(rng.integers(-2, 3, 2 * STEPS_PER_BAR)) % 9,
        "answer_degrees": np.cumsum(rng.integers(-2, 3, 2 * STEPS_PER_BAR)) % 9,
        "bass_steps": (rng.random(STEPS_PER_BAR) < 0.3) | (np.arange(STEPS_PER_BAR) % 4 == 2),
        "bass_harmonics": int(rng.integers(2, 7)),
        "kick_start": float(rng.uniform(110.0, 220.0)),
        "kick_end": float(rng.uniform(40.0, 65.0)),
        "kick_decay": float(rng.uniform(0.12, 0.35)),
        "hat_low": float(rng.uniform(5000.0, 8000.0)),
        "snare_low": float(rng.uniform(800.0, 2000.0)),
        "pad_attack": float(rng.uniform(0.05, 0.5)),
        "pump": float(rng.uniform(0.2, 0.7)),
        "levels_db": rng.uniform(-4.0, 2.0, 9),  # kick snare hat bass lead arp pad riser spare
        "pans": rng.uniform(-0.6, 0.6, 9),
        "peak_dbfs": float(rng.uniform(-3.0, -1.0)),
    }


def section_plan(rng, n_phrases):
    """The section (index into SECTIONS) each phrase plays: an intro, then a Markov chain."""
    plan = np.zeros(n_phrases, dtype=int)
    for i in range(1, n_phrases):  # a handful of phrases per song
        plan[i] = rng.choice(len(SECTIONS), p=NEXT_SECTION[plan[i - 1]])
    return plan


def _grid(style, plan, n_steps, rate):
    """Per sixteenth step: position in bar, bar, section, progress through the phrase (0-1), and
    onset sample (with swing on the off-steps)."""
    step = np.arange(n_steps)
    pos = step % STEPS_PER_BAR
    bar = step // STEPS_PER_BAR
    phrase_steps = style["phrase_bars"] * STEPS_PER_BAR
    section = plan[step // phrase_steps]
    progress = (step % phrase_steps) / phrase_steps
    step_s = 60.0 / style["bpm"] / 4.0
    onset = np.round((step + style["swing"] * (pos % 2)) * step_s * rate).astype(int)
    return pos, bar, section, progress, onset


def synth_song(rng, seconds, rate, channels=2):
    """One synthetic song of ``seconds`` at ``rate``: (float samples in [-1, 1], truth dict).

    Samples have shape (n,) for ``channels`` = 1, else (n, channels) (equal-power panning for
    2 channels, the mono mix copied to more). The truth dict names the song's tempo, key, scale,
    progression, sections and event counts.
    """
    n = int(round(seconds * rate))
    style = song_style(rng)
    step_s = 60.0 / style["bpm"] / 4.0
    n_steps = int(np.ceil(seconds / step_s)) + 1
    phrase_steps = style["phrase_bars"] * STEPS_PER_BAR
    plan = section_plan(rng, -(-n_steps // phrase_steps))
    pos, bar, section, progress, onset = _grid(style, plan, n_steps, rate)
    keep = onset < n
    pos, bar, section, progress, onset = (a[keep] for a in (pos, bar, section, progress, onset))
    last_in_phrase = (bar % style["phrase_bars"]) == style["phrase_bars"] - 1
    chord = np.asarray(style["progression"])[bar % 4]
    level = synth.db_to_amplitude(style["levels_db"])

    def hits(mask, amps):
        return onset[mask], np.broadcast_to(np.asarray(amps, dtype=float), onset.shape)[mask]

    # drums
    kick_mask = (pos % 4 == 0) & ((section == INTRO) | (section == DROP)
                                  | ((section == BUILD) & ~last_in_phrase))
    k_on, k_amp = hits(kick_mask, 1.0)
    kick = kick_voice(n, rate, k_on, k_amp, style["kick_start"], style["kick_end"], 0.03,
                      style["kick_decay"])
    roll = 2 ** (3 - np.minimum((progress * 4).astype(int), 3))  # 8, 4, 2, 1 steps over a build
    snare_mask = (((section == DROP) & ((pos == 4) | (pos == 12)))
                  | ((section == BUILD) & (pos % roll == 0)))
    s_on, s_amp = hits(snare_mask, np.where(section == BUILD, 0.25 + 0.75 * progress, 1.0))
    snare_noise = synth.band_noise(rng, n, rate, min(style["snare_low"], 0.4 * rate),
                                   min(style["snare_low"] * 5, 0.45 * rate))
    snare = noise_hits(snare_noise, s_on, s_amp, np.full(len(s_on), 0.12 * rate))
    snare += kick_voice(n, rate, s_on, 0.5 * s_amp, 260.0, 180.0, 0.01, 0.05)
    hat_mask = (((section == DROP) | (section == BUILD)) & (pos % 2 == 0)) | (
        (section == INTRO) & (pos % 4 == 2))
    h_on, h_amp = hits(hat_mask, np.where(pos % 4 == 2, 0.9, 0.5))
    h_decay = np.where(pos[hat_mask] % 4 == 2, 0.12, 0.035) * rate  # open hats on the off-beat
    hat_noise = synth.band_noise(rng, n, rate, min(style["hat_low"], 0.35 * rate), 0.45 * rate)
    hat = noise_hits(hat_noise, h_on, h_amp, h_decay)

    # bass: chord roots two octaves below the lead, in drops (and half-density in builds)
    bass_mask = style["bass_steps"][pos] & (
        (section == DROP) | ((section == BUILD) & (pos % 8 == 2)))
    b_on = onset[bass_mask]
    b_midi = 12 * 3 + style["tonic"] + degree_to_semitones(chord[bass_mask], style["scale"])
    bass = note_voice(n, rate, b_on, _durations_to_next(b_on, rate, n, style["legato"]),
                      midi_to_hz(b_midi), np.ones(len(b_on)),
                      wave_harmonics("saw", style["bass_harmonics"]), 0.004, 0.4)

    # lead: call, call, call, answer over each four bars; the phrase contour moves it up or down
    motif_pos = (bar % 2) * STEPS_PER_BAR + pos
    answer = (bar % 4) == 3
    contour = rng.integers(-2, 4, len(plan))[np.minimum(bar // style["phrase_bars"], len(plan) - 1)]
    degree = chord + np.where(answer, style["answer_degrees"][motif_pos],
                              style["motif_degrees"][motif_pos]) + contour
    lead_mask = style["motif_steps"][motif_pos] & (section != INTRO)
    l_on = onset[lead_mask]
    l_midi = 12 * style["lead_octave"] + style["tonic"] + degree_to_semitones(
        degree[lead_mask], style["scale"])
    l_amp = np.select([section == BUILD, section == BREAK], [0.3 + 0.5 * progress, 0.7],
                      1.0)[lead_mask]
    lead = note_voice(n, rate, l_on, _durations_to_next(l_on, rate, n, style["legato"]),
                      midi_to_hz(l_midi), l_amp * rng.uniform(0.8, 1.0, len(l_on)),
                      wave_harmonics(style["lead_wave"], 12, style["lead_brightness"]),
                      style["lead_attack"], style["lead_decay"])

    # arpeggio over the chord tones in intros and breaks
    arp_mask = ((section == INTRO) | (section == BREAK)) & (pos % 2 == 0)
    a_on = onset[arp_mask]
    arp_degree = chord[arp_mask] + np.array([0, 2, 4, 7])[(pos[arp_mask] // 2) % 4]
    a_midi = 12 * 5 + style["tonic"] + degree_to_semitones(arp_degree, style["scale"])
    arp = note_voice(n, rate, a_on, _durations_to_next(a_on, rate, n, 0.8), midi_to_hz(a_midi),
                     0.6 * (1.0 - 0.5 * progress[arp_mask]), wave_harmonics("square", 6),
                     0.002, 0.1)

    # pads: the chord as three sustained voices, one chord per bar
    pad_mask = pos == 0
    p_on = onset[pad_mask]
    bar_s = STEPS_PER_BAR * step_s
    p_amp = np.select([section == INTRO, section == BREAK, section == BUILD], [0.5, 0.9, 0.5],
                      0.4)[pad_mask]
    pads = []
    for tone in (0, 2, 4):  # three voices: root, third, fifth of the chord
        p_midi = 12 * 4 + style["tonic"] + degree_to_semitones(chord[pad_mask] + tone,
                                                                style["scale"])
        pads.append(note_voice(n, rate, p_on, np.full(len(p_on), bar_s), midi_to_hz(p_midi), p_amp,
                               wave_harmonics("soft", 5), style["pad_attack"], np.inf, 0.05))

    # riser: noise and a rising sweep that grow through each build
    sample_section = np.repeat(section, np.diff(np.append(onset, n)))
    sample_progress = np.interp(np.arange(n), onset, progress)
    building = sample_section == BUILD
    sweep = synth.phase_of(200.0 * 10.0 ** sample_progress, rate)
    riser = np.where(building, sample_progress**2, 0.0) * (
        0.5 * np.sin(sweep) + 0.5 * synth.band_noise(rng, n, rate, 2000.0, 0.4 * rate))

    # the pump: pads and bass duck after each kick
    index, elapsed, valid = since_onset(n, k_on)
    duck = 1.0 - style["pump"] * np.where(valid, np.exp(-elapsed / (0.08 * rate)), 0.0)

    voices = [kick, snare, hat, bass * duck, lead, arp, *(p * duck for p in pads), riser]
    gains = [level[0], 0.5 * level[1], 0.25 * level[2], 0.6 * level[3], 0.35 * level[4],
             0.25 * level[5], *(0.2 * level[6],) * 3, 0.3 * level[7]]
    pans = [0.0, 0.0, style["pans"][2], 0.0, style["pans"][4], style["pans"][5], -0.5, 0.0, 0.5,
            style["pans"][7]]
    if channels == 1:
        mix = sum(g * v for g, v in zip(gains, voices))
    else:
        angle = (np.asarray(pans) + 1.0) * np.pi / 4.0
        left = sum(g * np.cos(a) * v for g, a, v in zip(gains, angle, voices))
        right = sum(g * np.sin(a) * v for g, a, v in zip(gains, angle, voices))
        mix = np.stack([left, right] + [0.5 * (left + right)] * (channels - 2), axis=-1)
    peak = np.max(np.abs(mix))
    mix = mix * (synth.db_to_amplitude(style["peak_dbfs"]) / peak if peak > 0 else 0.0)
    names = [SECTIONS[s] for s in plan]
    truth = {
        "seconds": n / rate,
        "bpm": style["bpm"],
        "key": f"{NOTE_NAMES[style['tonic']]} {style['scale']}",
        "progression": "-".join(str(d) for d in style["progression"]),
        "phrase_bars": style["phrase_bars"],
        "sections": ",".join(names),
        "swing": round(style["swing"], 3),
        "lead_wave": style["lead_wave"],
        "kicks": int(len(k_on)),
        "lead_notes": int(len(l_on)),
        "peak_dbfs": round(style["peak_dbfs"], 2),
    }
    return mix, truth


def song_name(index):
    """File name of song ``index``."""
    return f"song_{index:03d}.mp3"


def generate(out_dir, *, n_songs, seconds, seed, rate=44100, channels=2):
    """Write ``n_songs`` synthetic songs of ``seconds`` each as mp3 into ``out_dir``; return the
    ground truth (one row per song: file, seconds, bpm, key, progression, sections, ...).

    Song ``i`` depends only on (seed, i), so adding songs keeps the first ones. ``out_dir``
    appears only once complete (it is replaced if it exists). Bad arguments raise InputError
    before anything is written. Paper size: about 100 songs of a few minutes.
    """
    from ..audio import write_mp3

    synth.check_count("n_songs", n_songs, 1)
    synth.check_number("seconds", seconds, 0.0, low_open=True)
    synth.check_count("seed", seed)
    synth.check_count("rate", rate, 8000)
    synth.check_count("channels", channels, 1)
    rows = []
    with atomic_path(Path(out_dir), is_dir=True) as tmp:
        for i in range(n_songs):
            samples, truth = synth_song(np.random.default_rng([seed, i]), seconds, rate, channels)
            write_mp3(tmp / song_name(i), to_int16(samples), rate)
            rows.append({"file": song_name(i), **truth})
    return pd.DataFrame(rows)


# --- the controls ---------------------------------------------------------------------------------


def _check_control(seconds, rate):
    synth.check_number("seconds", seconds, 0.0, low_open=True)
    synth.check_count("rate", rate, 1)
    return int(round(seconds * rate))


def _noise_block(seed, block, amplitude):
    """Block ``block`` of the noise stream: uniform in [-amplitude, amplitude] (float32)."""
    rng = np.random.default_rng([seed, block])
    return (amplitude * (2.0 * rng.random(NOISE_BLOCK, dtype=np.float32) - 1.0)).astype(np.float32)


def white_noise(seconds, rate, seed, amplitude=0.8):
    """``seconds`` of white noise at ``rate``: uniform in [-amplitude, amplitude], as an audio
    editor's noise generator makes it (0.8 is Audacity's default amplitude). Returns float32 (n,).
    Drawn in fixed blocks of seeded streams, so a long file can be written block by block."""
    n = _check_control(seconds, rate)
    blocks = [_noise_block(seed, b, amplitude) for b in range(-(-n // NOISE_BLOCK))]
    return np.concatenate(blocks)[:n] if blocks else np.zeros(0, np.float32)


def tone_period(rate, frequency):
    """Length in samples of the one whole-sample cycle that :func:`tiled_tone` tiles."""
    period = int(round(rate / frequency))
    if period < 2:
        raise InputError("frequency",
                         f"{frequency} Hz has no cycle of 2 or more samples at {rate} Hz")
    return period


def tiled_tone(seconds, rate, frequency=440.0, amplitude=0.8, start=0):
    """A tone made as the post made it: ONE cycle of a sine, rounded to whole samples, tiled.

    Returns (float32 samples (n,), true frequency in Hz = rate / period): at 16 kHz, 440 Hz
    becomes a 36-sample cycle, 444.4 Hz. ``start`` is the sample the excerpt begins at.
    """
    n = _check_control(seconds, rate)
    return _tiled(n, rate, frequency, amplitude, start), rate / tone_period(rate, frequency)


def _tiled(n, rate, frequency, amplitude, start):
    period = tone_period(rate, frequency)
    cycle = (amplitude * np.sin(2.0 * np.pi * np.arange(period) / period)).astype(np.float32)
    return cycle[(start + np.arange(n)) % period]


def sine_tone(seconds, rate, frequency=440.0, amplitude=0.8, start=0):
    """A plain sampled sine at exactly ``frequency`` (what an audio editor's tone generator makes):
    float32 (n,). The phase is taken modulo the rate in float64, exact for whole-Hz tones over
    hours."""
    return _sine(_check_control(seconds, rate), rate, frequency, amplitude, start)


def _sine(n, rate, frequency, amplitude, start):
    index = start + np.arange(n, dtype=np.int64)
    cycles = np.mod(index * float(frequency), float(rate)) / rate
    return (amplitude * np.sin(2.0 * np.pi * cycles)).astype(np.float32)


CONTROLS = ("noise", "tone", "sine")


def write_control(path, kind, *, seconds, rate, seed=0, frequency=440.0, amplitude=0.8):
    """Write a control as a 16-bit mono WAV at ``rate``, block by block (two hours fit in little
    memory), atomically. ``kind`` is "noise" (:func:`white_noise`), "tone" (:func:`tiled_tone`)
    or "sine" (:func:`sine_tone`). Returns its truth: kind, seconds, rate, frequency asked and
    true, period in samples (tone only)."""
    if kind not in CONTROLS:
        raise InputError("kind", f"must be one of {', '.join(CONTROLS)}, got {kind!r}")
    n = _check_control(seconds, rate)
    truth = {"kind": kind, "seconds": n / rate, "rate": rate, "frequency": None,
             "true_frequency": None, "period_samples": None, "amplitude": amplitude}
    if kind == "tone":
        period = tone_period(rate, frequency)
        truth.update(frequency=frequency, true_frequency=rate / period, period_samples=period)
    elif kind == "sine":
        truth.update(frequency=frequency, true_frequency=float(frequency))
    with atomic_path(Path(path)) as tmp:
        with soundfile.SoundFile(str(tmp), "w", rate, 1, subtype="PCM_16", format="WAV") as f:
            for block, first in enumerate(range(0, n, NOISE_BLOCK)):
                size = min(NOISE_BLOCK, n - first)
                if kind == "noise":
                    x = _noise_block(seed, block, amplitude)[:size]
                elif kind == "tone":
                    x = _tiled(size, rate, frequency, amplitude, first)
                else:
                    x = _sine(size, rate, frequency, amplitude, first)
                f.write(to_int16(x))
    return truth
