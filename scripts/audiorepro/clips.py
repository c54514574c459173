"""A data set's clips decoded once and packed: one int16 vector plus a table of offsets.

Training and figures read the pack instead of thousands of small files, and every file has been
checked (rate, channels, length, truncation) on the way in.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import all_or_nothing
from .audio import read_audio
from .errors import InputError


def pack_clips(table, folder, rate, min_seconds=None, max_seconds=None):
    """Decode every ``table.file`` under ``folder``; return (table with offsets, samples)."""
    pieces, lengths = [], []
    for name in table["file"]:
        samples, _ = read_audio(Path(folder) / name, rate=rate, channels=1,
                                min_seconds=min_seconds, max_seconds=max_seconds)
        pieces.append(samples)
        lengths.append(len(samples))
    packed = table.copy()
    packed["n_samples"] = lengths
    packed["offset"] = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    packed["seconds"] = packed["n_samples"] / rate
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.int16)
    return packed, samples


def write_pack(table, samples, table_path, samples_path):
    with all_or_nothing([table_path, samples_path]):
        Path(table_path).parent.mkdir(parents=True, exist_ok=True)
        np.save(samples_path, samples)
        table.to_csv(table_path, index=False)


class ClipPack:
    """Read access to a pack written by :func:`write_pack`."""

    def __init__(self, table_path, samples_path):
        self.table = pd.read_csv(table_path)
        self.samples = np.load(samples_path, mmap_mode="r")
        expected = int(self.table["n_samples"].sum())
        if expected != len(self.samples):
            raise InputError(samples_path, f"holds {len(self.samples)} samples, table says {expected}")
        self._rows = {name: i for i, name in enumerate(self.table["file"])}

    def clip(self, name):
        """int16 samples of one clip."""
        if name not in self._rows:
            raise KeyError(name)
        row = self.table.iloc[self._rows[name]]
        return np.asarray(self.samples[row.offset: row.offset + row.n_samples])

    def clips(self, names):
        return [self.clip(n) for n in names]
