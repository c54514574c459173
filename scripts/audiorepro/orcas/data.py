"""orcas data: mu-law targets, the recording-level split, the recordings, the scan geometry
(:class:`Geometry`) and the truncated-BPTT batch stream.

scrynet trained on segments of raw 16-kHz audio: a batch of ``batch_size`` segments from random
files and offsets; each update feeds ``bptt_steps`` timesteps per segment, a timestep being a
window of ``window`` samples that advances one sample per step, and the target the mu-law code of
the sample right after the window. The next update continues the same segments, the LSTM state
carried over, until the segment is used up; then new segments are drawn and the state is zeroed.
Here one Keras epoch is one such set of segments.
"""

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile

from ..audio import to_float  # noqa: F401 (the scan and the figures read it from here)
from ..errors import InputError

MU = 127  # scrynet: quantization_channels 128, mu = channels - 1
SPLITS = ("train", "heldout")


# ---------------------------------------------------------------- mu-law
def mulaw_encode(x, mu=MU):
    """scrynet's ``mu_law_encode``: codes 0..mu (int32) of samples in [-1, 1].

    |x| is clipped to 1, then ``int((sign(x) log1p(mu |x|) / log1p(mu) + 1) / 2 * mu + 0.5)``;
    the argument of ``int`` is never negative, so truncation is a floor.
    """
    x = np.asarray(x, dtype=np.float64)
    magnitude = np.log1p(mu * np.minimum(np.abs(x), 1.0)) / np.log1p(mu)
    return np.floor((np.sign(x) * magnitude + 1.0) / 2.0 * mu + 0.5).astype(np.int32)


def mulaw_decode(codes, mu=MU):
    """scrynet's ``mu_law_decode``: the sample value (float64 in [-1, 1]) of each code."""
    signal = 2.0 * (np.asarray(codes, dtype=np.float64) / mu) - 1.0
    return np.sign(signal) * ((1.0 + mu) ** np.abs(signal) - 1.0) / mu


# ---------------------------------------------------------------- split
def recording_split(names, train_fraction, seed):
    """Seeded recording-level split: a DataFrame ``file, split`` (``train`` / ``heldout``).

    ``round(train_fraction * n)`` recordings train (the original: 128 of 200, 0.64), kept between
    1 and n - 1 so that both sides exist; every name appears once, rows sorted by name.
    """
    names = sorted(str(n) for n in names)
    if len(set(names)) != len(names):
        raise InputError("recordings", "a recording name appears twice")
    if len(names) < 2:
        raise InputError("recordings", f"need at least 2 recordings to split, got {len(names)}")
    if not 0.0 < float(train_fraction) < 1.0:
        raise InputError("train_fraction", f"must lie in (0, 1), got {train_fraction!r}")
    n_train = min(max(int(round(train_fraction * len(names))), 1), len(names) - 1)
    order = np.random.default_rng(seed).permutation(len(names))
    split = np.full(len(names), SPLITS[1], dtype=object)
    split[order[:n_train]] = SPLITS[0]
    return pd.DataFrame({"file": names, "split": split})


# ---------------------------------------------------------------- recordings
def _wav_data_chunk(path):
    """(byte offset, byte length) of a WAV file's data chunk."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        riff, _, wave = struct.unpack("<4sI4s", f.read(12))
        if riff != b"RIFF" or wave != b"WAVE":
            raise InputError(path, "is not a RIFF WAV file")
        while f.tell() + 8 <= size:
            chunk, length = struct.unpack("<4sI", f.read(8))
            if chunk == b"data":
                return f.tell(), min(length, size - f.tell())
            f.seek(length + length % 2, 1)
    raise InputError(path, "has no data chunk")


def open_recording(path, rate):
    """A mono 16-bit WAV at ``rate`` as a read-only int16 memory map (hour-long tapes stay on disk).

    The samples are those of :func:`audiorepro.audio.read_audio`, which decodes the whole file
    into memory instead: a paper-sized run's 128 training tapes of 55 min would take 13.5 GB of
    memory in each training job, here they stay in the page cache the jobs share. Raises
    InputError naming the file when it is not such a WAV or is cut short.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file is missing")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise InputError(path, f"cannot be decoded as audio ({err})") from None
    if info.format != "WAV" or info.subtype != "PCM_16" or info.channels != 1:
        raise InputError(path, f"expected 16-bit mono WAV, found {info.format} {info.subtype} "
                               f"with {info.channels} channels")
    if info.samplerate != rate:
        raise InputError(path, f"sample rate is {info.samplerate} Hz, expected {rate} Hz")
    offset, length = _wav_data_chunk(path)
    if length // 2 < info.frames:
        raise InputError(path, f"truncated: header declares {info.frames} frames, file holds "
                               f"{length // 2}")
    if info.frames == 0:
        return np.zeros(0, np.int16)
    return np.memmap(path, dtype="<i2", mode="r", offset=offset, shape=(info.frames,))


def load_recordings(paths, rate):
    """{path as given: int16 samples (memory-mapped)} for the training stream and the scan."""
    return {str(p): open_recording(p, rate) for p in paths}


# ---------------------------------------------------------------- scan geometry
@dataclass(frozen=True)
class Geometry:
    """Where a scan's outputs fall: windows of ``window`` samples (``orcas.model.window``)
    starting every ``hop`` samples (``orcas.scan.hop``), one output kept per ``keep_every``
    steps (``orcas.scan.keep_every``), at ``rate`` Hz (``orcas.audio.rate``). The defaults are
    the original's: one output per 16 samples at 16 kHz (see :mod:`audiorepro.orcas.scan`)."""

    window: int = 16
    hop: int = 1
    keep_every: int = 16
    rate: int = 16000

    @property
    def samples_per_output(self):
        """Samples between two kept outputs."""
        return self.hop * self.keep_every

    @property
    def outputs_per_second(self):
        """Kept outputs per second of audio."""
        return self.rate / (self.hop * self.keep_every)

    def n_outputs(self, n_samples):
        """How many outputs a scan of ``n_samples`` gives (whole groups of ``keep_every``
        steps)."""
        if n_samples < self.window:
            return 0
        return ((n_samples - self.window) // self.hop + 1) // self.keep_every

    def output_times(self, n):
        """Time (s) of each of ``n`` outputs: the end of the last window it has read."""
        steps = (np.arange(n) + 1) * self.keep_every - 1
        return (steps * self.hop + self.window) / self.rate


# ---------------------------------------------------------------- truncated-BPTT stream
def segment_span(segment_seconds, rate=16000, bptt_steps=32, window=16):
    """Samples one training segment spans: ``updates * bptt_steps + window`` with ``updates =
    round(segment_seconds * rate) // bptt_steps`` (a recording must hold at least this many)."""
    return int(round(segment_seconds * rate)) // int(bptt_steps) * int(bptt_steps) + int(window)


class SegmentBatches:
    """The training batches, a pure function of (seed, epoch, batch index); no Keras.

    ``recordings``: {name: 1-D samples} (int16 read as x / 32768, or float already in [-1, 1]).
    An epoch draws ``batch_size`` segments (uniformly random recording, with replacement, and a
    uniformly random offset: scrynet's reader) from ``default_rng([seed, epoch])``; its
    ``len(self)`` updates walk through them ``bptt_steps`` windows at a time. A segment spans
    ``updates * bptt_steps + window`` samples, with ``updates = round(segment_seconds * rate) //
    bptt_steps`` (scrynet: 10,000 updates of 32 steps, 20 s at 16 kHz).
    """

    def __init__(self, recordings, *, batch_size, segment_seconds, seed, bptt_steps=32,
                 window=16, rate=16000, mu=MU):
        if not recordings:
            raise InputError("recordings", "no training recordings")
        self.names = list(recordings)
        self.recordings = [recordings[n] for n in self.names]
        self.batch_size, self.bptt_steps = int(batch_size), int(bptt_steps)
        self.window = int(window)
        self.seed, self.mu = seed, mu
        self.updates = int(round(segment_seconds * rate)) // self.bptt_steps
        if self.updates < 1 or self.batch_size < 1:
            raise InputError("segment_seconds", f"{segment_seconds} s at {rate} Hz holds no update "
                                                f"of {bptt_steps} steps")
        self.span = segment_span(segment_seconds, rate, self.bptt_steps, self.window)
        for name, samples in zip(self.names, self.recordings):
            if len(samples) < self.span:
                raise InputError(name, f"is {len(samples) / rate:.3f} s long, shorter than one "
                                       f"training segment ({self.span / rate:.3f} s)")
        self._cached_epoch, self._cached = None, None

    def __len__(self):
        return self.updates

    def segments(self, epoch):
        """The epoch's segments: (recording index, start sample) arrays of length batch_size."""
        rng = np.random.default_rng([int(self.seed), int(epoch)])
        which = rng.integers(len(self.recordings), size=self.batch_size)
        lengths = np.array([len(self.recordings[i]) for i in which])
        starts = np.floor(rng.random(self.batch_size) * (lengths - self.span + 1)).astype(np.int64)
        return which, starts

    def segment_audio(self, epoch):
        """(batch_size, span) float32 audio of the epoch's segments (cached for the last epoch)."""
        if self._cached_epoch != epoch:
            which, starts = self.segments(epoch)
            self._cached = np.stack([to_float(self.recordings[i][s:s + self.span])
                                     for i, s in zip(which, starts)])
            self._cached_epoch = epoch
        return self._cached

    def batch(self, epoch, index):
        """Update ``index`` of ``epoch``: (x (batch, bptt_steps, window) float32, y (batch,
        bptt_steps) int32), y[b, t] the mu-law code of the sample after window x[b, t]."""
        if not 0 <= index < self.updates:
            raise IndexError(index)
        audio = self.segment_audio(epoch)
        first = index * self.bptt_steps
        piece = audio[:, first:first + self.bptt_steps + self.window]
        x = np.lib.stride_tricks.sliding_window_view(piece[:, :-1], self.window, axis=1)
        y = mulaw_encode(piece[:, self.window:], self.mu)
        return np.ascontiguousarray(x, dtype=np.float32), y
