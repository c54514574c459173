"""The jigsaw sampler, the two split protocols and the training batches of the sorting study.

A *sample* is cut from one song: a random start, then ``n_chunks`` chunks of ``chunk_len``
samples with a pad between consecutive chunks (skipped audio that keeps the network from matching
edges), then the chunks shuffled. Pad modes (``pad_range`` = (low, high) samples, inclusive):

- ``random_per_gap``: every gap its own pad, uniform in [low, high] (the post's fix);
- ``random_constant``: one pad, uniform in [low, high], shared by every gap of a sample (the
  post's "cheat": with n >= 3 the network can infer the pad and extrapolate a tone);
- ``fixed``: every gap exactly ``high`` samples (the post's bug: its pad never changed).

Label convention: ``label[i, k]`` is the position, in the shuffled sample ``x[i]``, of the chunk
that belongs at place ``k`` of the original order. The sorter predicts, for each place, which
shuffled chunk goes there, and ``restore_order(x, label)`` (``x[i, label[i, k]]``) gives the
chunks back in song order. Equivalently ``x[i, p]`` is original chunk ``argsort(label[i])[p]``.

Protocols: ``original`` draws every sample from all songs and then splits the samples
(chunks of one song land in training and validation, as in the post); ``clean`` splits the songs
first and draws training samples from training songs only.

Samples are kept as a small table of draws (song, start, pads, label), and the audio is cut from
the songs per batch, so a large sample set costs little memory.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..audio import to_float
from ..errors import InputError

PAD_MODES = ("random_per_gap", "random_constant", "fixed")
PROTOCOLS = ("original", "clean")


# --- the songs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Songs:
    """Several 1-D signals concatenated: ``samples[offsets[i] : offsets[i] + lengths[i]]`` is
    song ``names[i]``. Samples are int16 (as read from WAV) or float in [-1, 1]."""

    samples: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    names: tuple

    @classmethod
    def from_arrays(cls, arrays, names=None):
        """Songs from a list of 1-D arrays; ``names`` default to song_000, song_001, ..."""
        arrays = [np.asarray(a) for a in arrays]
        if not arrays:
            raise InputError("songs", "no songs given")
        for i, a in enumerate(arrays):
            if a.ndim != 1:
                raise InputError(names[i] if names else f"song {i}",
                                 f"must be mono (1-D), got shape {a.shape}")
        if names is None:
            names = [f"song_{i:03d}" for i in range(len(arrays))]
        names = tuple(names)
        if len(names) != len(arrays):
            raise InputError("names", f"{len(names)} names for {len(arrays)} songs")
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return cls(np.concatenate(arrays), offsets, lengths, names)

    def __len__(self):
        return len(self.lengths)

    def song(self, i):
        """The samples of song ``i``."""
        return self.samples[self.offsets[i] : self.offsets[i] + self.lengths[i]]


def as_songs(signal_or_songs, names=None):
    """A :class:`Songs` from Songs, one 1-D signal or a list of 1-D signals."""
    if isinstance(signal_or_songs, Songs):
        return signal_or_songs
    if isinstance(signal_or_songs, np.ndarray) and signal_or_songs.ndim == 1:
        return Songs.from_arrays([signal_or_songs], names)
    return Songs.from_arrays(list(signal_or_songs), names)


def read_songs(paths, rate):
    """Read 16-bit mono WAV files at ``rate`` (as the conversion rule writes them) into Songs
    named by file stem. A file of another rate or channel count raises InputError naming it."""
    from pathlib import Path

    from ..audio import read_audio

    paths = sorted(Path(p) for p in paths)
    return Songs.from_arrays([read_audio(p, rate=rate, channels=1)[0] for p in paths],
                             [p.stem for p in paths])


def segments(signal, n_segments, names_prefix="segment"):
    """Cut one long signal (a control) into ``n_segments`` equal contiguous parts, as Songs, so
    that the ``clean`` protocol can hold parts of it out (the rest of the division is dropped)."""
    signal = np.asarray(signal)
    size = len(signal) // n_segments
    if n_segments < 2 or size < 1:
        raise InputError("n_segments", f"cannot cut {len(signal)} samples into {n_segments} parts")
    return Songs.from_arrays([signal[i * size : (i + 1) * size] for i in range(n_segments)],
                             [f"{names_prefix}_{i:03d}" for i in range(n_segments)])


def samples_of(seconds, rate):
    """Seconds to a whole number of samples (rounded)."""
    return int(round(float(seconds) * rate))


# --- drawing samples ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draws:
    """Where each sample comes from: song index, start (in the song), pads (n_samples, n_chunks-1)
    and label (n_samples, n_chunks), with the chunk length. Audio is cut by :func:`cut`."""

    song: np.ndarray
    start: np.ndarray
    pads: np.ndarray
    label: np.ndarray
    chunk_len: int

    def __len__(self):
        return len(self.song)

    @property
    def n_chunks(self):
        return self.label.shape[1]

    def take(self, rows):
        """The draws at ``rows`` (an index array or a boolean mask)."""
        return Draws(self.song[rows], self.start[rows], self.pads[rows], self.label[rows],
                     self.chunk_len)

    def chunk_starts(self):
        """Start of every chunk in song order, relative to the song (n_samples, n_chunks)."""
        steps = np.concatenate([np.zeros((len(self), 1), np.int64),
                                np.cumsum(self.pads + self.chunk_len, axis=1)], axis=1)
        return self.start[:, None] + steps

    def spans(self):
        """Samples from the first chunk's start to the last chunk's end, per sample."""
        return self.n_chunks * self.chunk_len + self.pads.sum(axis=1)

    def frame(self, songs=None):
        """One row per sample: song (index and name), start, span, pad_1.., label as "2-0-1"."""
        table = pd.DataFrame({"song": self.song, "start": self.start, "span": self.spans()})
        if songs is not None:
            table.insert(1, "name", np.asarray(songs.names, dtype=object)[self.song])
        for g in range(self.pads.shape[1]):
            table[f"pad_{g + 1}"] = self.pads[:, g]
        table["label"] = ["-".join(map(str, row)) for row in self.label]
        return table


def check_sampling(n_chunks, chunk_len, pad_mode, pad_range):
    """Validate the sampler's settings; return (n_chunks, chunk_len, (low, high))."""
    if isinstance(n_chunks, bool) or not isinstance(n_chunks, (int, np.integer)) or n_chunks < 2:
        raise InputError("n_chunks", f"must be an integer >= 2, got {n_chunks!r}")
    if isinstance(chunk_len, bool) or not isinstance(chunk_len, (int, np.integer)) or chunk_len < 1:
        raise InputError("chunk_len", f"must be a whole number of samples >= 1, got {chunk_len!r}")
    if pad_mode not in PAD_MODES:
        raise InputError("pad_mode", f"must be one of {', '.join(PAD_MODES)}, got {pad_mode!r}")
    try:
        low, high = (int(v) for v in pad_range)
    except (TypeError, ValueError):
        raise InputError("pad_range",
                         f"must be (low, high) in samples, got {pad_range!r}") from None
    if not 0 <= low <= high:
        raise InputError("pad_range", f"needs 0 <= low <= high, got {pad_range!r}")
    return int(n_chunks), int(chunk_len), (low, high)


def draw_samples(songs, n_samples, n_chunks, chunk_len, pad_mode, pad_range, rng, song_ids=None):
    """Draw ``n_samples`` jigsaw samples (positions only) from ``songs`` (Songs or signals).

    Each sample picks a song uniformly from ``song_ids`` (default: all), its pads by
    ``pad_mode``, a start uniform over the places where the whole span fits, and a random
    shuffle. Returns :class:`Draws`. Raises InputError naming any eligible song too short for
    n chunks and n - 1 pads of the largest size.
    """
    songs = as_songs(songs)
    n_chunks, chunk_len, (low, high) = check_sampling(n_chunks, chunk_len, pad_mode, pad_range)
    song_ids = np.arange(len(songs)) if song_ids is None else np.asarray(song_ids, dtype=np.int64)
    if len(song_ids) == 0:
        raise InputError("songs", "no song to draw samples from")
    longest = n_chunks * chunk_len + (n_chunks - 1) * high
    short = song_ids[songs.lengths[song_ids] < longest]
    if len(short):
        listed = ", ".join(f"{songs.names[i]} ({songs.lengths[i]})" for i in short[:5])
        raise InputError(listed + (" ..." if len(short) > 5 else ""),
                         f"shorter than {n_chunks} chunks of {chunk_len} samples and "
                         f"{n_chunks - 1} pads of up to {high} ({longest} samples)")
    song = song_ids[rng.integers(0, len(song_ids), n_samples)]
    gaps = n_chunks - 1
    if pad_mode == "random_per_gap":
        pads = rng.integers(low, high + 1, (n_samples, gaps))
    elif pad_mode == "random_constant":
        pads = np.repeat(rng.integers(low, high + 1, (n_samples, 1)), gaps, axis=1)
    else:
        pads = np.full((n_samples, gaps), high)
    span = n_chunks * chunk_len + pads.sum(axis=1)
    start = np.floor(rng.random(n_samples) * (songs.lengths[song] - span + 1)).astype(np.int64)
    shuffle = np.argsort(rng.random((n_samples, n_chunks)), axis=1)  # x[:, p] = chunk shuffle[p]
    label = np.argsort(shuffle, axis=1)
    return Draws(song.astype(np.int64), start, pads.astype(np.int64), label, chunk_len)


def cut(songs, draws, rows=None, dtype=np.float32):
    """The audio of ``draws`` (or of its ``rows``): (x, label) with x of shape (samples, n_chunks,
    chunk_len) in shuffled order, as floats in [-1, 1] (int16 songs are scaled by 1/32768)."""
    songs = as_songs(songs)
    if rows is not None:
        draws = draws.take(rows)
    order = np.argsort(draws.label, axis=1)  # shuffled position p holds original chunk order[p]
    starts = np.take_along_axis(draws.chunk_starts(), order, axis=1)
    starts += songs.offsets[draws.song][:, None]
    windows = np.lib.stride_tricks.sliding_window_view(songs.samples, draws.chunk_len)
    x = windows[starts]  # copies only the chunks: no (samples, n, chunk_len) index array
    x = to_float(x, dtype)
    return x, draws.label.copy()


def jigsaw_sample(signal_or_songs, n_samples, n_chunks, chunk_len, pad_mode, pad_range, rng):
    """Draw and cut ``n_samples`` jigsaw samples in one go: (x, label, draws); see
    :func:`draw_samples` for the arguments and :func:`cut` for x."""
    songs = as_songs(signal_or_songs)
    draws = draw_samples(songs, n_samples, n_chunks, chunk_len, pad_mode, pad_range, rng)
    x, label = cut(songs, draws)
    return x, label, draws


def restore_order(x, label):
    """The chunks of shuffled samples ``x`` (samples, n_chunks, ...) put back in song order."""
    index = np.asarray(label).reshape(label.shape + (1,) * (x.ndim - 2))
    return np.take_along_axis(x, index, axis=1)


# --- the split protocols --------------------------------------------------------------------------


def _valid_count(n, valid_fraction, what):
    if not 0.0 < valid_fraction < 1.0:
        raise InputError("valid_fraction", f"must lie in (0, 1), got {valid_fraction!r}")
    count = int(round(valid_fraction * n))
    count = min(max(count, 1), n - 1)
    if n < 2:
        raise InputError(what, f"needs at least 2 to split, got {n}")
    return count


def song_split(names, valid_fraction, seed):
    """The clean protocol's split: a seeded random ``valid_fraction`` of the songs (at least one,
    never all) for validation. Returns a DataFrame (song, name, split) in song order."""
    n = len(names)
    n_valid = _valid_count(n, valid_fraction, "songs")
    valid = np.random.default_rng([seed, 1]).permutation(n)[:n_valid]
    split = np.full(n, "train", dtype=object)
    split[valid] = "valid"
    return pd.DataFrame({"song": np.arange(n), "name": list(names), "split": split})


@dataclass(frozen=True)
class SampleSets:
    """The training and validation draws of one grid point, and the song-level table (song,
    name, split, train_samples, valid_samples): under ``original`` a song's split reads "both"
    when it gave samples to both sets."""

    train: Draws
    valid: Draws
    songs: pd.DataFrame
    protocol: str


def sample_sets(songs, *, protocol, n_samples, valid_fraction, n_chunks, chunk_len, pad_mode,
                pad_range, seed):
    """Seeded training and validation draws under ``protocol`` (``original`` or ``clean``).

    ``original``: ``n_samples`` drawn from all songs, then a random ``valid_fraction`` of the
    samples held out (as the post split its arrays). ``clean``: songs split by
    :func:`song_split`, then round((1 - valid_fraction) n_samples) training samples drawn from
    the training songs and the rest from the validation songs. Returns :class:`SampleSets`.
    """
    songs = as_songs(songs)
    if protocol not in PROTOCOLS:
        raise InputError("protocol", f"must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    n_valid = _valid_count(n_samples, valid_fraction, "n_samples")
    rng = np.random.default_rng([seed, 2])
    args = (n_chunks, chunk_len, pad_mode, pad_range)
    if protocol == "original":
        draws = draw_samples(songs, n_samples, *args, rng)
        is_valid = np.zeros(n_samples, bool)
        is_valid[rng.permutation(n_samples)[:n_valid]] = True
        train, valid = draws.take(~is_valid), draws.take(is_valid)
        table = pd.DataFrame({"song": np.arange(len(songs)), "name": list(songs.names)})
    else:
        table = song_split(songs.names, valid_fraction, seed)
        train = draw_samples(songs, n_samples - n_valid, *args, rng,
                             song_ids=table.song[table.split == "train"].to_numpy())
        valid = draw_samples(songs, n_valid, *args, rng,
                             song_ids=table.song[table.split == "valid"].to_numpy())
    table["train_samples"] = np.bincount(train.song, minlength=len(songs))
    table["valid_samples"] = np.bincount(valid.song, minlength=len(songs))
    if protocol == "original":
        table["split"] = np.select(
            [(table.train_samples > 0) & (table.valid_samples > 0), table.valid_samples > 0,
             table.train_samples > 0], ["both", "valid", "train"], "unused")
    return SampleSets(train, valid, table, protocol)


def overlapping(train, valid, songs):
    """Per validation sample: whether its span shares audio with any training sample's span (the
    original protocol's leak, beyond sharing a song). Returns a boolean array."""
    songs = as_songs(songs)
    t_start = songs.offsets[train.song] + train.start
    t_end = t_start + train.spans()
    v_start = songs.offsets[valid.song] + valid.start
    v_end = v_start + valid.spans()
    order = np.argsort(t_start)
    reach = np.maximum.accumulate(t_end[order])  # furthest end among spans starting up to here
    last = np.searchsorted(t_start[order], v_end, side="left") - 1
    return (last >= 0) & (reach[np.maximum(last, 0)] > v_start)


# --- batches --------------------------------------------------------------------------------------


def batch_maker(songs, draws, batch_size, seed, shuffle=True, cache_bytes=256 * 2**20):
    """(n_batches, make_batch) for :func:`audiorepro.training.epoch_batches`: batch ``index`` of
    epoch ``epoch`` is (x, label) of the draws at rows ``order[index * batch_size : ...]``, where
    ``order`` is a permutation seeded by (seed, epoch) (or the identity without ``shuffle``), so
    batches are a pure function of (seed, epoch, index). When a whole epoch's audio fits in
    ``cache_bytes`` it is cut once per epoch and batches are slices of it (a batch of a small
    model trains in about as long as cutting it takes); otherwise each batch is cut alone."""
    songs = as_songs(songs)
    n = len(draws)
    if n == 0:
        raise InputError("n_samples", "no samples to make batches of")
    whole_epoch = n * draws.n_chunks * draws.chunk_len * 4 <= cache_bytes
    cache = {}

    def make_batch(epoch, index):
        if epoch not in cache:
            cache.clear()
            order = (np.random.default_rng([seed, 3, epoch]).permutation(n) if shuffle
                     else np.arange(n))
            cache[epoch] = (order, cut(songs, draws, order) if whole_epoch else None)
        order, epoch_audio = cache[epoch]
        part = slice(index * batch_size, (index + 1) * batch_size)
        if epoch_audio is not None:
            return epoch_audio[0][part], epoch_audio[1][part]
        return cut(songs, draws, order[part])

    return math.ceil(n / batch_size), make_batch


# --- the data sets of the grid ---------------------------------------------------------------------

CONTROL_FILES = {"noise": "noise.wav", "tone": "tone.wav", "sine": "sine.wav"}


def load_dataset(dataset, music_dir, controls_dir, rate, control_segments):
    """The Songs a grid point samples from: every converted song (``music``), or a control cut
    into ``control_segments`` parts (``noise``, ``tone``, ``sine``)."""
    from pathlib import Path

    from ..audio import read_audio

    if dataset == "music":
        paths = sorted(Path(music_dir).rglob("*.wav"))
        if not paths:
            raise InputError(music_dir, "holds no converted song")
        return read_songs(paths, rate)
    if dataset not in CONTROL_FILES:
        raise InputError("dataset", f"must be music or one of {', '.join(CONTROL_FILES)}, "
                                    f"not {dataset!r}")
    signal, _ = read_audio(Path(controls_dir) / CONTROL_FILES[dataset], rate=rate, channels=1)
    return segments(signal, control_segments, names_prefix=dataset)


def grid_points(blocks):
    """Every grid point of the config's blocks (each the product of its lists), named
    ``{dataset}_{protocol}_{sample_length}s_n{n_chunks}_{pad_mode}_e{encoding}``, in order;
    a point listed twice is an InputError naming it."""
    import itertools

    points = {}
    keys = ["dataset", "protocol", "sample_length", "n_chunks", "pad_mode", "encoding"]
    for block in blocks:
        for values in itertools.product(*(block[k] for k in keys)):
            point = dict(zip(keys, values))
            name = ("{dataset}_{protocol}_{sample_length:g}s_n{n_chunks}_{pad_mode}_e{encoding}"
                    .format(**point))
            if name in points:
                raise InputError("sorting.grid", f"lists the point {name} twice")
            points[name] = point
    return points
