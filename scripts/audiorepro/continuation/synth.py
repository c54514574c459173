"""Synthetic stand-in for the course's three hours of ambient music (the continuation study).

:func:`generate` writes one long 16-bit mono WAV of slowly evolving ambient music:

* a drone on the key's tonic and fifth, two octaves low, whose level breathes slowly;
* a pad that plays a loop of ``progression_length`` diatonic chords, one every ``chord_seconds``,
  cross-fading into the next; each loop is played ``loop_repeats`` times before a new one is
  drawn, so the music repeats enough for next-frame prediction to be learnable and still evolves;
* in some loops a soft pulse on every beat (a low thump with a faint noise tick, accented on
  the chord's first beat), and on some chords a swell of band noise;
* a little pink noise.

Everything is a function of absolute time or of one chord, so the file is written in blocks of
``block_seconds`` (three hours never sit in memory at once) and the bytes do not depend on the
block size. The returned DataFrame is the ground truth: one row per chord.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import soundfile

from .. import synth
from ..atomic import atomic_path
from ..audio import to_int16
from ..errors import InputError

# Sub-stream tags for np.random.default_rng([seed, tag, ...]).
_PLAN, _CHORD, _NOISE = 0, 1, 2
# Diatonic triads of a major key: scale degree -> (semitones of the root above the tonic, quality).
DEGREES = {"I": (0, (0, 4, 7)), "ii": (2, (0, 3, 7)), "iii": (4, (0, 3, 7)),
           "IV": (5, (0, 4, 7)), "V": (7, (0, 4, 7)), "vi": (9, (0, 3, 7))}
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
TRUTH_COLUMNS = ["start", "end", "start_s", "end_s", "loop", "repeat", "degree", "root",
                 "root_name", "notes", "pulse", "swell", "kind"]


def midi_to_hz(note):
    """Equal-tempered frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(note, dtype=float) - 69.0) / 12.0)


def note_name(note):
    """Scientific pitch name of a MIDI note number (60 -> "C4")."""
    return f"{NOTE_NAMES[int(note) % 12]}{int(note) // 12 - 1}"


def chord_notes(key, degree):
    """MIDI notes of the pad's voicing of ``degree`` in the major key on ``key``: root, third,
    fifth and the root an octave up, the root kept within the octave above the tonic."""
    offset, triad = DEGREES[degree]
    root = key + offset
    return [root + t for t in triad] + [root + 12]


def _draw_progression(rng, length):
    """A loop of chords that starts on the tonic and never sounds a chord twice in a row, also
    where it starts again (its last chord is not the tonic)."""
    names = list(DEGREES)
    loop = ["I"]
    while len(loop) < length:
        last = len(loop) == length - 1
        allowed = [d for d in names if d != loop[-1] and not (last and d == "I")]
        loop.append(str(rng.choice(allowed)))
    return loop


def plan(seconds, rate, seed, key=50, chord_seconds=4.0, beat_seconds=1.0, progression_length=4,
         loop_repeats=4, pulse_probability=0.6, swell_probability=0.25):
    """The ground truth before any audio: one row per chord (see :data:`TRUTH_COLUMNS`).

    start/end are samples (end exclusive; the last chord is cut at the end of the recording),
    loop counts the drawn progressions, repeat the playing of the current one. ``pulse`` is drawn
    once per loop (a loop is played the same way each time), ``swell`` once per chord.
    """
    rng = np.random.default_rng([seed, _PLAN])
    n = int(round(seconds * rate))
    chord_len = int(round(chord_seconds * rate))
    rows, start, loop = [], 0, 0
    while start < n:
        progression = _draw_progression(rng, progression_length)
        pulse = bool(rng.random() < pulse_probability)
        for repeat in range(loop_repeats):
            for degree in progression:
                if start >= n:
                    break
                end = min(start + chord_len, n)
                notes = chord_notes(key, degree)
                rows.append({"start": start, "end": end, "start_s": start / rate,
                             "end_s": end / rate, "loop": loop, "repeat": repeat,
                             "degree": degree, "root": notes[0], "root_name": note_name(notes[0]),
                             "notes": " ".join(map(str, notes)),
                             "pulse": pulse, "swell": bool(rng.random() < swell_probability),
                             "kind": "chord"})
                start = end
        loop += 1
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


def render_chord(row, index, rate, seed, levels, attack_s=0.8, release_s=1.0, beat_seconds=1.0,
                 chord_seconds=4.0):
    """Samples of one chord from its start: the pad (with its release into the next chord), the
    pulse and the swell. Drawn from ``default_rng([seed, _CHORD, index])`` alone, so a chord
    sounds the same whichever block it is written in."""
    rng = np.random.default_rng([seed, _CHORD, index])
    n_chord = int(round(chord_seconds * rate))
    n = n_chord + int(round(release_s * rate))
    notes = np.array([int(v) for v in row["notes"].split()])
    brightness = 0.35 + 0.25 * rng.random()
    harmonics = brightness ** np.arange(4) / np.arange(1, 5)
    f0 = np.broadcast_to(midi_to_hz(notes)[:, None], (len(notes), n))
    pad = synth.harmonic_tone(f0, rate, harmonics, phase0=rng.uniform(0, 2 * np.pi, len(notes)))
    gains = np.array([1.0, 0.8, 0.8, 0.5])[: len(notes), None]
    envelope = synth.attack_decay_envelope(n, rate, attack_s, release_s, shape="linear")
    out = levels["pad"] * envelope * np.sum(gains * pad, axis=0)
    if row["pulse"]:
        out += levels["pulse"] * _pulses(rng, rate, midi_to_hz(notes[0] - 12), n, n_chord,
                                         beat_seconds)
    if row["swell"]:
        f_root = float(midi_to_hz(notes[0]))
        swell = synth.band_noise(rng, (n_chord,), rate, 2 * f_root, 8 * f_root)
        bump = synth.rise_fall_contour(n_chord, 0.0, 1.0, peak_at=0.6)
        out[:n_chord] += levels["swell"] * bump * swell
    return out


def _pulses(rng, rate, f_thump, n, n_chord, beat_seconds):
    """A soft hit on every beat of the chord (the first one accented)."""
    n_hit = int(0.6 * rate)
    thump = np.sin(synth.phase_of(np.full(n_hit, f_thump), rate)) * synth.attack_decay_envelope(
        n_hit, rate, 0.005, 0.18, shape="exponential")
    tick = synth.band_noise(rng, (n_hit,), rate, 2000.0, 5000.0) * synth.attack_decay_envelope(
        n_hit, rate, 0.002, 0.03, shape="exponential")
    hit = thump + 0.15 * tick
    out = np.zeros(n)
    beat = int(round(beat_seconds * rate))
    for k, start in enumerate(range(0, n_chord, beat)):
        synth.place(out, hit * (1.0 if k == 0 else 0.55), start)
    return out


def drone(start, stop, rate, key, level, lfo_seconds=13.0):
    """The drone between samples ``start`` and ``stop``, evaluated at absolute time (seamless
    across blocks): tonic two octaves down with two overtones, plus its fifth, breathing slowly."""
    t = np.arange(start, stop) / rate
    f = float(midi_to_hz(key - 24))
    tone = sum(a * np.sin(2 * np.pi * k * f * t) for k, a in ((1, 1.0), (2, 0.5), (3, 0.25)))
    tone = tone + 0.5 * np.sin(2 * np.pi * 1.5 * f * t)
    return level * (0.75 + 0.25 * np.sin(2 * np.pi * t / lfo_seconds)) * tone


def noise(start, stop, rate, seed, level):
    """Pink noise between samples ``start`` and ``stop``, drawn one second at a time from
    ``default_rng([seed, _NOISE, second])`` so that it does not depend on the block size."""
    first, last = start // rate, (stop - 1) // rate
    chunks = [synth.coloured_noise(np.random.default_rng([seed, _NOISE, s]), (rate,), "pink", rate)
              for s in range(first, last + 1)]
    return level * np.concatenate(chunks)[start - first * rate: stop - first * rate]


def _check(seconds, seed, rate, key, chord_seconds, beat_seconds, progression_length, loop_repeats,
           block_seconds):
    synth.check_number("seconds", seconds, 0, low_open=True)
    synth.check_count("seed", seed)
    synth.check_count("rate", rate, 1)
    synth.check_count("key", key, 24)
    synth.check_number("chord_seconds", chord_seconds, 0, low_open=True)
    synth.check_number("beat_seconds", beat_seconds, 0, low_open=True)
    synth.check_count("progression_length", progression_length, 1)
    synth.check_count("loop_repeats", loop_repeats, 1)
    synth.check_number("block_seconds", block_seconds, 1)
    if int(round(seconds * rate)) < 1:
        raise InputError("seconds", f"gives no sample at {rate} Hz: {seconds!r}")


def generate(out_path, *, seconds=240.0, seed=0, rate=16000, key=50, chord_seconds=4.0,
             beat_seconds=1.0, progression_length=4, loop_repeats=4, pulse_probability=0.6,
             swell_probability=0.25, drone_db=-20.0, pad_db=-24.0, pulse_db=-20.0, swell_db=-30.0,
             noise_db=-50.0, block_seconds=60.0):
    """Write ``seconds`` of synthetic ambient music as a 16-bit mono WAV; return its ground truth.

    ``out_path`` is the WAV file, or a folder that receives ``data.wav`` (the original's name).
    Paper length: seconds=10800 (three hours) at rate=16000. Levels are the peak amplitude of each
    part in dB full scale before mixing (the mix stays below full scale). The same arguments give
    the same bytes; ``block_seconds`` changes memory use only. The file appears only once whole;
    bad arguments raise InputError before anything is written. Returns :func:`plan`'s table, with
    the key and the levels in ``attrs``.
    """
    _check(seconds, seed, rate, key, chord_seconds, beat_seconds, progression_length, loop_repeats,
           block_seconds)
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".wav":
        out_path = out_path / "data.wav"
    truth = plan(seconds, rate, seed, key, chord_seconds, beat_seconds, progression_length,
                 loop_repeats, pulse_probability, swell_probability)
    levels = {name: float(synth.db_to_amplitude(db)) for name, db in
              (("drone", drone_db), ("pad", pad_db), ("pulse", pulse_db), ("swell", swell_db),
               ("noise", noise_db))}
    n = int(round(seconds * rate))
    block = int(round(block_seconds * rate))
    rows = truth.to_dict("records")
    rendered = {}  # chord index -> samples, kept while the chord still sounds in later blocks
    with atomic_path(out_path) as tmp, soundfile.SoundFile(
            str(tmp), "w", samplerate=rate, channels=1, subtype="PCM_16", format="WAV") as f:
        for b0 in range(0, n, block):
            b1 = min(b0 + block, n)
            mix = drone(b0, b1, rate, key, levels["drone"]) + noise(b0, b1, rate, seed,
                                                                    levels["noise"])
            first = int(np.searchsorted(truth["end"].to_numpy(), b0, side="right")) - 1
            for i in range(max(first, 0), len(rows)):
                if rows[i]["start"] >= b1:
                    break
                if i not in rendered:
                    rendered[i] = render_chord(rows[i], i, rate, seed, levels,
                                               beat_seconds=beat_seconds,
                                               chord_seconds=chord_seconds)
                synth.place(mix, rendered[i], rows[i]["start"] - b0)
            rendered = {i: s for i, s in rendered.items() if rows[i]["start"] + len(s) > b1}
            f.write(to_int16(mix))
    truth.attrs.update({"key": note_name(key), "rate": rate, "samples": n,
                        **{f"{k}_level": v for k, v in levels.items()}})
    return truth
