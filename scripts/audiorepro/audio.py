"""Reading, checking, writing and converting audio.

soundfile (libsndfile) reads and writes WAV and AIFF; pydub, driving ffmpeg, converts everything
else (mp3, other rates, stereo). libsndfile quietly shortens a truncated file to what is on disk,
so :func:`read_audio` also compares the frame count the header declares with what was read: a
file cut short in transfer is an error, not a shorter clip.
"""

import os
import struct
from pathlib import Path

import numpy as np
import soundfile

from .atomic import atomic_path
from .errors import InputError


def _wav_declared_frames(f, size):
    riff, _, wave = struct.unpack("<4sI4s", f.read(12))
    if riff not in (b"RIFF", b"RF64") or wave != b"WAVE":
        return None
    block_align = None
    while f.tell() + 8 <= size:
        chunk, length = struct.unpack("<4sI", f.read(8))
        if chunk == b"fmt ":
            fmt = f.read(length)
            block_align = struct.unpack("<H", fmt[12:14])[0]
            f.seek(length % 2, os.SEEK_CUR)
        elif chunk == b"data":
            return length // block_align if block_align else None
        else:
            f.seek(length + length % 2, os.SEEK_CUR)
    return None


def _aiff_declared_frames(f, size):
    form, _, kind = struct.unpack(">4sI4s", f.read(12))
    if form != b"FORM" or kind not in (b"AIFF", b"AIFC"):
        return None
    while f.tell() + 8 <= size:
        chunk, length = struct.unpack(">4sI", f.read(8))
        if chunk == b"COMM":
            return struct.unpack(">hI", f.read(6))[1]
        f.seek(length + length % 2, os.SEEK_CUR)
    return None


def declared_frames(path):
    """Number of frames the WAV or AIFF header promises, or None for other containers."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4)
        f.seek(0)
        try:
            if head in (b"RIFF", b"RF64"):
                return _wav_declared_frames(f, size)
            if head == b"FORM":
                return _aiff_declared_frames(f, size)
        except struct.error:
            raise InputError(path, "header is cut short") from None
    return None


def read_audio(path, rate=None, channels=1, min_seconds=None, max_seconds=None):
    """Decode a WAV or AIFF file to int16 samples, checking it against what the study expects.

    Raises InputError naming the file when it cannot be decoded, is truncated, or has another
    sample rate, channel count or length than asked for. Returns (samples, sample_rate); samples
    are 1-D for mono files.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file is missing")
    try:
        info = soundfile.info(str(path))
        data, file_rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise InputError(path, f"cannot be decoded as audio ({err})") from None
    declared = declared_frames(path)
    if declared is not None and declared > len(data):
        raise InputError(
            path, f"truncated: header declares {declared} frames, file holds {len(data)}"
        )
    if info.subtype not in ("PCM_16",):
        raise InputError(path, f"expected 16-bit PCM, found {info.subtype}")
    if rate is not None and file_rate != rate:
        raise InputError(path, f"sample rate is {file_rate} Hz, expected {rate} Hz")
    if channels is not None and data.shape[1] != channels:
        raise InputError(path, f"has {data.shape[1]} channels, expected {channels}")
    seconds = len(data) / file_rate
    if min_seconds is not None and seconds < min_seconds - 1e-9:
        raise InputError(path, f"is {seconds:.3f} s long, shorter than {min_seconds} s")
    if max_seconds is not None and seconds > max_seconds + 1e-9:
        raise InputError(path, f"is {seconds:.3f} s long, longer than {max_seconds} s")
    samples = data[:, 0] if data.shape[1] == 1 else data
    return np.ascontiguousarray(samples), file_rate


def to_int16(signal):
    """Float signal in [-1, 1] to int16 samples (clipped, rounded)."""
    return np.round(np.clip(signal, -1.0, 1.0) * 32767).astype(np.int16)


def write_audio(path, samples, rate, format="WAV"):
    """Write int16 samples as a 16-bit PCM WAV or AIFF (big-endian, as AIFF defines) atomically."""
    samples = np.asarray(samples)
    if samples.dtype != np.int16:
        raise TypeError(f"write_audio wants int16 samples, got {samples.dtype}")
    path = Path(path)
    with atomic_path(path) as tmp:
        soundfile.write(str(tmp), samples, rate, subtype="PCM_16", format=format)


def ffmpeg_executable():
    """The ffmpeg that pydub drives: the system's, else the one shipped in the imageio-ffmpeg wheel."""
    import shutil

    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# Naming the decoder lets pydub skip its ffprobe call: imageio-ffmpeg ships ffmpeg only.
DECODERS = {"mp3": "mp3", "wav": "pcm_s16le", "flac": "flac", "ogg": "vorbis", "m4a": "aac",
            "aiff": "pcm_s16be", "aif": "pcm_s16be"}


def convert_to_wav(source, target, rate, source_format=None):
    """Decode any ffmpeg-readable file (mp3, ...) with pydub to a mono 16-bit WAV at ``rate``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pydub warns before we point it at ffmpeg
        from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    AudioSegment.converter = ffmpeg_executable()
    source = Path(source)
    fmt = source_format or source.suffix.lstrip(".").lower()
    try:
        segment = AudioSegment.from_file(str(source), format=fmt, codec=DECODERS.get(fmt))
    except (CouldntDecodeError, OSError, IndexError) as err:
        raise InputError(source, f"cannot be decoded by ffmpeg ({str(err).strip()[-200:]})") from None
    segment = segment.set_channels(1).set_frame_rate(rate).set_sample_width(2)
    samples = np.frombuffer(segment.raw_data, dtype=np.int16)
    write_audio(target, samples, rate)
    return samples
