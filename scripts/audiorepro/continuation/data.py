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

Several recordings (a folder). The original had one recording. A folder's recordings are joined
in file order (:func:`read_recordings`) and the 80/10/10 split is taken over the joined signal,
so the fractions hold over the whole and the scaling statistics are those of contiguous samples;
each split is then cut at the recording boundaries into pieces (:func:`recording_pieces`), and
each piece is cut into frames and sequences on its own: no sequence straddles two recordings.
Each recording contributes its contiguous part(s) to the splits in file order (the first
recordings train, a recording that holds a split boundary gives its start to one split and its
end to the next).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..recordings import read_recording

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


CENTRES = ("mean", "min")


def scaling_statistics(samples, split_table, protocol, where="audio", centre="mean"):
    """The mean, max and min that scale the recording under ``protocol``.

    ``original``: over every sample (the validation and test parts leak into the scaling);
    ``clean``: over the training part only. Returns a dict: protocol, fitted_on ("all" or
    "train"), start and end (samples the statistics come from), mean, max, min (floats in the
    recording's int16 units), and ``centre``: the value subtracted before dividing by max - min,
    the mean (the original) or, for claim N7's ablation, the minimum ("I tried centring by the
    minimum instead of the mean"). A part whose max equals its min (silence) cannot be scaled:
    InputError naming ``where``.
    """
    if centre not in CENTRES:
        raise InputError("centre", f"must be one of {', '.join(CENTRES)}, got {centre!r}")
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
            "mean": mean, "max": high, "min": low, "centring": centre,
            "centre": mean if centre == "mean" else low}


def normalise(samples, stats):
    """(x - centre) / (max - min) as float32 (the original's scaling, centre the mean, with
    ``stats``' numbers)."""
    scale = np.float32(stats["max"] - stats["min"])
    centre = np.float32(stats.get("centre", stats["mean"]))
    return (np.asarray(samples, dtype=np.float32) - centre) / scale


def denormalise(x, stats):
    """Invert :func:`normalise` and return int16 samples (rounded, clipped to the int16 range)."""
    y = np.asarray(x, dtype=np.float64) * (stats["max"] - stats["min"]) + stats.get(
        "centre", stats["mean"])
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
class Recordings:
    """The recordings of a folder joined in file order: what the study trains on."""

    samples: np.ndarray  # int16, every recording one after the other
    lengths: list  # samples of each recording, in file order
    files: list  # each recording's name (as in the raw folder)

    def describe(self, rate):
        """One log line: how many recordings were joined, in which order, and their lengths."""
        named = ", ".join(f"{k}. {f!r} ({n / rate:.2f} s)"
                          for k, (f, n) in enumerate(zip(self.files, self.lengths), 1))
        if len(self.files) == 1:
            return f"1 recording: {named}"
        return (f"{len(self.files)} recordings joined in file order (no sequence straddles two): "
                f"{named}")

    def table(self, rate):
        """The recordings for a metrics file: file, samples and seconds of each, in order."""
        return [{"file": f, "samples": int(n), "seconds": n / rate}
                for f, n in zip(self.files, self.lengths)]


def read_recordings(folder, table, rate):
    """Every converted recording of ``table`` (the convert rule's table, in its order: file
    order), read and checked, as :class:`Recordings`."""
    parts = [read_recording(folder, row, rate) for _, row in table.iterrows()]
    samples = np.concatenate(parts) if parts else np.zeros(0, np.int16)
    return Recordings(samples, [len(p) for p in parts], [str(f) for f in table["file"]])


def recording_pieces(split_table, lengths, files=None, frame=None, seq_len=None):
    """The split cut at recording boundaries: one row per (split, recording) overlap, in order.

    ``lengths`` are the recordings' samples in file order (they sum to the split table's end).
    Columns: split, recording (index in file order), file, start and end (samples of the joined
    signal, end exclusive), offset (start within the recording), samples; with ``frame`` and
    ``seq_len`` also sequences (whole sequences the piece holds on its own).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    edges = np.concatenate([[0], np.cumsum(lengths)])
    if files is None:
        files = [f"recording {k + 1}" for k in range(len(lengths))]
    files = list(files)
    starts = np.maximum(split_table.start.to_numpy()[:, None], edges[None, :-1])
    ends = np.minimum(split_table.end.to_numpy()[:, None], edges[None, 1:])
    rows, cols = np.nonzero(ends > starts)  # row-major: splits in order, recordings in order
    pieces = pd.DataFrame({
        "split": split_table.split.to_numpy()[rows], "recording": cols,
        "file": [files[c] for c in cols], "start": starts[rows, cols], "end": ends[rows, cols],
        "offset": starts[rows, cols] - edges[cols]})
    pieces["samples"] = pieces.end - pieces.start
    if frame is not None and seq_len is not None:
        pieces["sequences"] = pieces.samples // (frame * seq_len)
    return pieces


def split_summary(split_table, pieces):
    """The split table with, per split, the recordings it draws on (how many, their names in
    order joined by " | ") and its whole sequences (needs ``pieces`` with sequences)."""
    grouped = pieces.groupby("split", sort=False)
    return split_table.assign(
        recordings=split_table.split.map(grouped.recording.nunique()).fillna(0).astype(int),
        files=split_table.split.map(grouped.file.agg(" | ".join)).fillna(""),
        sequences=split_table.split.map(grouped.sequences.sum()).fillna(0).astype(int))


@dataclass
class Prepared:
    """A recording (or several, joined) ready for the network under one protocol."""

    stats: dict  # scaling_statistics(...)
    split_table: pd.DataFrame  # contiguous_split(...)
    sequences: dict  # split -> float32 array (n, seq_len, frame)
    frame: int
    seq_len: int
    pieces: pd.DataFrame  # recording_pieces(...), with sequences

    def inputs_and_targets(self, split):
        """(inputs, targets) of one split, each (n, seq_len - 1, frame)."""
        return inputs_and_targets(self.sequences[split])

    def seed_sequence(self):
        """The first validation sequence, (seq_len, frame): what generation starts from."""
        return self.sequences["valid"][0]

    def counts(self):
        """Sequences per split, for the metrics file."""
        return {split: int(len(s)) for split, s in self.sequences.items()}

    def piece_records(self):
        """The pieces (split, recording, file, start, end, offset, samples, sequences) as plain
        dicts for a metrics file."""
        return [{k: (v if isinstance(v, str) else int(v)) for k, v in row.items()}
                for row in self.pieces.to_dict("records")]

    def data_parts(self):
        """(start, end) of every training and validation piece: whole seconds are taken within
        one recording, for the data's profile (:func:`..evaluate.data_profile`)."""
        kept = self.pieces[self.pieces.split != "test"]
        return list(zip(kept.start.astype(int), kept.end.astype(int)))


def _too_short(samples, split, pieces, frame, seq_len, fractions, rate):
    """The message of a split without one whole sequence."""
    need = frame * seq_len
    mine = pieces[pieces.split == split]
    secs = lambda v: f" ({v / rate:.2f} s)" if rate else ""  # noqa: E731
    head = f"is too short: {len(samples)} samples{secs(len(samples))}; its {split} part has " \
           f"{int(mine.samples.sum())} samples"
    if len(pieces.recording.unique()) == 1:
        least = minimum_samples(frame, seq_len, fractions)
        return (f"{head}, less than one sequence of {seq_len} frames x {frame} samples = {need}; "
                f"at least {least} samples{secs(least)} are needed")
    shares = ", ".join(f"{f!r}: {n}" for f, n in zip(mine.file, mine.samples))
    return (f"{head} in {len(mine)} recording(s) ({shares}), none holding one sequence of "
            f"{seq_len} frames x {frame} samples = {need} (sequences do not straddle recordings)")


def prepare(samples, *, protocol, frame, seq_len=50, fractions=(0.8, 0.1, 0.1), where="audio",
            centre="mean", rate=None, lengths=None, files=None):
    """Scale, split and cut a 1-D int16 recording under ``protocol``; return :class:`Prepared`.

    ``lengths`` (and ``files``, their names) say where each recording of a joined signal ends
    (:class:`Recordings`); sequences are cut within recordings (see the module docstring). None:
    one recording. A recording whose training or validation part holds no whole sequence, or
    that is silent, raises InputError naming ``where`` and the numbers (``rate``, if given, puts
    them in seconds too).
    """
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise InputError(where, f"must be mono (1-D samples), got shape {samples.shape}")
    for name, value in (("frame", frame), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise InputError(name, f"must be an integer >= 2, got {value!r}")
    lengths = [len(samples)] if lengths is None else [int(n) for n in lengths]
    if sum(lengths) != len(samples):
        raise InputError(where, f"recording lengths add to {sum(lengths)} samples, but the joined "
                                f"signal has {len(samples)}")
    table = contiguous_split(len(samples), fractions)
    pieces = recording_pieces(table, lengths, files, frame, seq_len)
    for split in ("train", "valid"):
        if pieces.sequences[pieces.split == split].sum() == 0:
            raise InputError(where, _too_short(samples, split, pieces, frame, seq_len, fractions,
                                               rate))
    stats = scaling_statistics(samples, table, protocol, where, centre=centre)
    x = normalise(samples, stats)
    seqs = {}
    for split in SPLITS:
        mine = pieces[pieces.split == split]
        parts = [sequences(x[a:b], frame, seq_len) for a, b in zip(mine.start, mine.end)]
        seqs[split] = (parts[0] if len(parts) == 1 else np.concatenate(parts) if parts
                       else np.zeros((0, seq_len, frame), np.float32))
    return Prepared(stats, table, seqs, int(frame), int(seq_len), pieces)


def read_and_prepare(folder, table, rate, **settings):
    """The recordings of the convert rule's ``folder`` and ``table`` (:func:`read_recordings`)
    and them prepared with ``settings`` (protocol, frame, seq_len, fractions: :func:`prepare`):
    returns (Recordings, Prepared)."""
    recordings = read_recordings(folder, table, rate)
    where = f"{folder} ({len(recordings.files)} recording(s))" if len(recordings.files) > 1 \
        else Path(folder) / str(table["wav"].iloc[0])
    return recordings, prepare(recordings.samples, where=where, rate=rate,
                               lengths=recordings.lengths, files=recordings.files, **settings)


def read_variant(folder, table, rate, variant, model_settings, fractions):
    """:func:`read_and_prepare` of the convert rule's ``folder`` and ``table`` (its CSV file)
    for a trained ``variant`` (its protocol and centring: :func:`variant_settings`), cut into
    the ``continuation.model`` settings' ``frame`` and ``seq_len`` with the split's
    ``fractions``: returns (Recordings, Prepared); the protocol is ``Prepared.stats["protocol"]``."""
    settings = variant_settings(variant)
    return read_and_prepare(folder, pd.read_csv(table), rate, protocol=settings["protocol"],
                            centre=settings["centre"], frame=model_settings["frame"],
                            seq_len=model_settings["seq_len"], fractions=fractions)


def to_audio(frames, stats):
    """Generated (or any) normalised frames, (n, frame), back to one 1-D int16 signal."""
    return denormalise(np.asarray(frames).reshape(-1), stats)


def variant_settings(variant):
    """A trained variant's protocol and centring: ``original``, ``clean``, or an ablation
    ``<protocol>-min`` (centred by the minimum: claim N7)."""
    protocol, _, centre = variant.partition("-")
    return {"protocol": protocol, "centre": centre or "mean"}
