"""Studies whose data are plain recordings (orcas, sorting, continuation): every audio file of a
raw folder converted once to 16-bit mono WAV at the study's rate, with a table of what was made.

Conversion is ffmpeg's band-limited resampling (:func:`audio.convert_to_wav`); a file that
cannot be decoded stops the rule with its name, and nothing is left half-written.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path
from .audio import convert_to_wav, read_audio
from .errors import InputError
from .raw import audio_files


def convert_folder(raw, out_dir, rate, min_seconds=None):
    """Convert every audio file under ``raw`` to ``out_dir/<relative path>.wav`` (mono, 16-bit,
    ``rate``); return a table ``file`` (as in raw), ``wav`` (relative to out_dir), ``samples``,
    ``seconds``. A recording shorter than ``min_seconds`` is an InputError naming it."""
    raw = Path(raw)
    files = audio_files(raw)
    if not files:
        raise InputError(raw, "holds no audio file")
    rows = []
    with atomic_path(out_dir, is_dir=True) as tmp:
        for src in files:
            rel = src.relative_to(raw)
            wav = rel.with_suffix(".wav")
            (tmp / wav).parent.mkdir(parents=True, exist_ok=True)
            samples = convert_to_wav(src, tmp / wav, rate)
            seconds = len(samples) / rate
            if min_seconds is not None and seconds < min_seconds:
                raise InputError(src, f"is {seconds:.2f} s long, shorter than the {min_seconds} s "
                                      f"one training segment needs")
            rows.append((str(rel), str(wav), len(samples), seconds))
    return pd.DataFrame(rows, columns=["file", "wav", "samples", "seconds"])


def write_table(table, path):
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


def read_recording(folder, table_row, rate):
    """One converted recording as int16 samples, checked (rate, mono, 16-bit, not truncated)."""
    samples, _ = read_audio(Path(folder) / table_row["wav"], rate=rate, channels=1)
    return samples


def read_all(folder, table, rate):
    """Every recording of ``table`` in its order, concatenated: one int16 vector."""
    parts = [read_recording(folder, row, rate) for _, row in table.iterrows()]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)
