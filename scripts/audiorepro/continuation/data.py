"""Scaling, the contiguous split, frames and sequences, and batches (the original's
``create_pickles`` scripts and training loop).

The original read the whole recording as int16, scaled it by (x - mean) / (max - min) with the
statistics of *all* of it (protocol ``original``; the post's commenter: they should come from the
training part only, protocol ``clean``), cut it into train 0-80 %, valid 80-90 %, test 90-100 %,
and cut each part on its own into frames of ``frame`` samples (16,000: one second) and sequences
of ``seq_len`` (50) consecutive frames, dropping a partial last frame and a partial last sequence.

Targets. The network reads all ``seq_len`` frames of a sequence and its output at step t is
compared (mean squared error) with frame t + 1: ``squared_error(out[:, :-1], X[:, 1:])``. An LSTM
is causal, so this is the same loss as feeding frames 0 .. T-2 and asking for frames 1 .. T-1,
which is what :func:`inputs_and_targets` returns: inputs ``seqs[:, :-1]``, targets
``seqs[:, 1:]`` (seq_len - 1 steps each; the last frame's output, which the original computed
and ignored, is not computed).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

PROTOCOLS = ("original", "clean")
SPLITS = ("train", "valid", "test")


def contiguous_split(n_samples, fractions=(0.8, 0.1, 0.1)):
    """Split table of a recording of ``n_samples``: one row per split with ``start`` and ``end``
    (samples, end exclusive), contiguous and in order. Boundaries are ``int(n * 0.8)`` and
    ``int(n * 0.9)`` as the original's slicing ``data[len(data) * 0.8 : len(data) * 0.9]``."""
    fractions = np.asarray(fractions, dtype=float)
    if len(fractions) != len(SPLITS) or np.any(fractions < 0) or abs(fractions.sum() - 1) > 1e-9:
        raise InputError("fractions", f"must be three non-negative numbers adding to 1, got "
                                      f"{list(fractions)}")
    # rounded so that 0.8 + 0.1 is 0.9 and not 0.9000000000000001
    cuts = [int(n_samples * round(c, 12)) for c in np.cumsum(fractions)[:-1]]
    edges = [0, *cuts, int(n_samples)]
    return pd.DataFrame({"split": SPLITS, "start": edges[:-1], "end": edges[1:]})


def split_part(samples, split_table, split):
    """The samples of one split (a view)."""
    row = split_table.set_index("split").loc[split]
    return samples[int(row.start):int(row.end)]


def scaling_statistics(samples, split_table, protocol, where="audio"):
    """The mean, max and min that scale the recording under ``protocol``.

    ``original``: over every sample (the validation and test parts leak into the scaling);
    ``clean``: over the training part only. Returns a dict: protocol, fitted_on ("all" or
    "train"), start and end (samples the statistics come from), mean, max, min (floats in the
    recording's int16 units). A part whose max equals its min (silence) cannot be scaled:
    InputError naming ``where``.
    """
    if protocol not in PROTOCOLS:
        raise InputError("protocol", f"must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if protocol == "original":
        start, end, fitted_on = 0, len(samples), "all"
    else:
        row = split_table.set_index("split").loc["train"]
        start, end, fitted_on = int(row.start), int(row.end), "train"
    part = np.asarray(samples[start:end])
    if len(part) == 0:
        raise InputError(where, f"has no samples in {fitted_on} to compute the scaling from")
    high, low = float(part.max()), float(part.min())
    if high == low:
        raise InputError(where, f"is silent: all {len(part)} samples of {fitted_on} (samples "
                                f"{start}-{end}) equal {high:g}, so (x - mean) / (max - min) "
                                f"divides by zero")
    mean = float(np.mean(part, dtype=np.float64))
    return {"protocol": protocol, "fitted_on": fitted_on, "start": start, "end": end,
            "mean": mean, "max": high, "min": low}


def normalise(samples, stats):
    """(x - mean) / (max - min) as float32 (the original's scaling, with ``stats``' numbers)."""
    scale = np.float32(stats["max"] - stats["min"])
    return (np.asarray(samples, dtype=np.float32) - np.float32(stats["mean"])) / scale


def denormalise(x, stats):
    """Invert :func:`normalise` and return int16 samples (rounded, clipped to the int16 range)."""
    y = np.asarray(x, dtype=np.float64) * (stats["max"] - stats["min"]) + stats["mean"]
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def sequences(x, frame, seq_len):
    """Cut a 1-D signal into ``(n, seq_len, frame)``: consecutive frames of ``frame`` samples
    grouped ``seq_len`` at a time; a partial last frame and a partial last sequence are dropped
    (as the original did). A view of ``x`` when it is contiguous."""
    per_sequence = frame * seq_len
    n = len(x) // per_sequence
    return np.asarray(x)[: n * per_sequence].reshape(n, seq_len, frame)


def inputs_and_targets(seqs):
    """(inputs, targets) = (frames 0 .. T-2, frames 1 .. T-1) of each sequence: the output at
    step t is compared with frame t + 1 (see the module docstring)."""
    return seqs[:, :-1], seqs[:, 1:]


def minimum_samples(frame, seq_len, fractions=(0.8, 0.1, 0.1)):
    """The fewest samples whose train and valid parts each hold one whole sequence."""
    need = frame * seq_len
    n = int(np.ceil(need / min(fractions[0], fractions[1])))
    while True:
        table = contiguous_split(n, fractions)
        if ((table.end - table.start)[:2] >= need).all():
            return n
        n += 1


@dataclass
class Prepared:
    """A recording ready for the network under one protocol."""

    stats: dict  # scaling_statistics(...)
    split_table: pd.DataFrame  # contiguous_split(...)
    sequences: dict  # split -> float32 array (n, seq_len, frame)
    frame: int
    seq_len: int

    def inputs_and_targets(self, split):
        """(inputs, targets) of one split, each (n, seq_len - 1, frame)."""
        return inputs_and_targets(self.sequences[split])

    def seed_sequence(self):
        """The first validation sequence, (seq_len, frame): what generation starts from."""
        return self.sequences["valid"][0]

    def counts(self):
        """Sequences per split, for the metrics file."""
        return {split: int(len(s)) for split, s in self.sequences.items()}


def prepare(samples, *, protocol, frame, seq_len=50, fractions=(0.8, 0.1, 0.1), where="audio",
            rate=None):
    """Scale, split and cut a 1-D int16 recording under ``protocol``; return :class:`Prepared`.

    A recording whose training or validation part holds no whole sequence, or that is silent,
    raises InputError naming ``where`` and the numbers (``rate``, if given, puts them in seconds
    too).
    """
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise InputError(where, f"must be mono (1-D samples), got shape {samples.shape}")
    for name, value in (("frame", frame), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise InputError(name, f"must be an integer >= 2, got {value!r}")
    table = contiguous_split(len(samples), fractions)
    need = frame * seq_len
    for split in ("train", "valid"):
        have = int(split_part(samples, table, split).shape[0])
        if have < need:
            least = minimum_samples(frame, seq_len, fractions)
            secs = lambda v: f" ({v / rate:.2f} s)" if rate else ""  # noqa: E731
            raise InputError(where, f"is too short: {len(samples)} samples{secs(len(samples))}; "
                                    f"its {split} part has {have} samples, less than one sequence "
                                    f"of {seq_len} frames x {frame} samples = {need}; at least "
                                    f"{least} samples{secs(least)} are needed")
    stats = scaling_statistics(samples, table, protocol, where)
    x = normalise(samples, stats)
    seqs = {split: sequences(split_part(x, table, split), frame, seq_len) for split in SPLITS}
    return Prepared(stats, table, seqs, int(frame), int(seq_len))


def to_audio(frames, stats):
    """Generated (or any) normalised frames, (n, frame), back to one 1-D int16 signal."""
    return denormalise(np.asarray(frames).reshape(-1), stats)
