"""Reading, checking, writing and converting audio.

soundfile (libsndfile) reads and writes WAV and AIFF; ffmpeg decodes everything else (mp3, ...),
resamples with its own band-limited resampler, downmixes to mono and encodes mp3. (pydub's
``set_frame_rate`` uses ``audioop.ratecv``, which does not filter: a 12-kHz tone at 44.1 kHz comes
out of a 16-kHz conversion as a loud 4-kHz alias.) libsndfile quietly shortens a truncated file to
what is on disk, so :func:`read_audio` also compares the frame count the header declares with what
was read: a file cut short in transfer is an error, not a shorter clip.
"""

import os
import re
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


def sniff_suffix(path):
    """The audio container of ``path`` judged by its first bytes, as the suffix the raw rules
    use (".wav", ".mp3", ...), or None when the bytes are no audio container this knows. For
    files whose name does not say what they are (a URL like ``.../download?id=3``)."""
    with open(path, "rb") as f:
        head = f.read(12)
    if len(head) < 4:
        return None
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return ".wav"
    if head[:4] == b"riff" and head[4:8] == b"\x2e\x91\xcf\x11":  # Sony Wave64's RIFF GUID
        return ".w64"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return ".aiff"
    magic = {b"fLaC": ".flac", b"OggS": ".ogg", b"caff": ".caf", b".snd": ".au",
             b"\x1aE\xdf\xa3": ".mka", b"wvpk": ".wv"}
    if head[:4] in magic:
        return magic[head[:4]]
    if head[4:8] == b"ftyp":
        return ".m4a"
    if head[:3] == b"ID3":
        return ".mp3"
    if head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an MPEG audio frame's sync word
        layer = (head[1] >> 1) & 3
        return ".aac" if layer == 0 else ".mp3"  # layer bits 00: ADTS (AAC)
    if head[:4] == b"\x30\x26\xb2\x75":
        return ".wma"
    return None


def describe_content(path):
    """A few words on what a file that is not audio looks like (for an error message)."""
    with open(path, "rb") as f:
        head = f.read(64)
    if not head:
        return "it is empty"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "it is an HTML page"
    if text.startswith((b"{", b"[")):
        return "it looks like JSON"
    if head[:4] == b"PK\x03\x04":
        return "it is a zip archive"
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head) / len(head)
    return "it looks like text" if printable > 0.95 else "its first bytes are no audio format"


def audio_problem(path, name=None):
    """Why ``path`` cannot be taken as a recording called ``name`` (default: its own name), in
    words that quote none of its bytes, or None. Its first bytes must be an audio container
    (:func:`sniff_suffix`), and for a suffix whose decoder is forced (:data:`DEMUXERS`: a file
    named .wav is read as WAV), that container: ffmpeg told to read an mp3 as WAV would quote
    the file's first bytes in its error."""
    name = Path(name or path).name
    try:
        sniffed = sniff_suffix(path)
    except OSError as err:
        return f"cannot be read ({(err.strerror or type(err).__name__).lower()})"
    if sniffed is None:
        return f"is not audio by its content: {describe_content(path)}"
    wanted = DEMUXERS.get(Path(name).suffix.lower().lstrip("."))
    if wanted and DEMUXERS.get(sniffed.lstrip(".")) != wanted:
        return (f"is not a {Path(name).suffix.lstrip('.').upper()} file by its content (it holds "
                f"{sniffed.lstrip('.')} audio): rename it {Path(name).stem}{sniffed}")
    return None


def check_float_samples(path, block=1 << 20):
    """For a file that stores floating-point samples (WAV, AIFF-C, ...: what soundfile reads),
    raise InputError naming it if any sample is NaN, infinite or beyond [-1, 1]: converting
    those to 16 bits would silently turn them into clicks at full scale. Other files pass."""
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError):
        return  # not a container libsndfile reads: ffmpeg decodes it, with its own checks
    if info.subtype not in ("FLOAT", "DOUBLE"):
        return
    frame = 0
    for chunk in soundfile.blocks(str(path), blocksize=block, dtype="float64", always_2d=True):
        bad = ~np.isfinite(chunk)
        if bad.any():
            index = frame + int(np.argwhere(bad)[0][0])
            kind = "NaN" if np.isnan(chunk[bad]).any() else "infinite"
            raise InputError(path, f"holds {int(bad.sum())} {kind} float samples (first at "
                                   f"{index / info.samplerate:.3f} s); fix or re-export the file")
        peak = float(np.abs(chunk).max()) if chunk.size else 0.0
        if peak > 1.0 + 1e-6:
            index = frame + int(np.argwhere(np.abs(chunk) > 1.0 + 1e-6)[0][0])
            raise InputError(path, f"holds float samples beyond full scale (peak {peak:.3g} at "
                                   f"{index / info.samplerate:.3f} s; 16-bit audio would clip "
                                   "them): normalise the file to [-1, 1] first")
        frame += len(chunk)


def to_float(samples, dtype=np.float32):
    """int16 samples as floats in [-1, 1) (x / 32768), as soundfile reads them: float32, the
    network's input scale, unless ``dtype`` says otherwise; other samples only cast."""
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(dtype) / dtype(32768.0)
    return samples.astype(dtype, copy=False)


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
    """The ffmpeg of the pinned imageio-ffmpeg wheel (it has libmp3lame), else the system's.

    The pinned one comes first so that every machine encodes the synthetic mp3s with the same
    encoder build, byte for byte.
    """
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        import shutil

        found = shutil.which("ffmpeg")
        if not found:
            raise RuntimeError("ffmpeg not found: install imageio-ffmpeg (requirements.txt) "
                               "or put ffmpeg on PATH") from None
        return found


# The demuxer forced for a known suffix: a file named .mp3 must be an mp3, and ffmpeg is never
# left to probe a known suffix into something else (a playlist that opens other files, say).
DEMUXERS = {"mp3": "mp3", "wav": "wav", "flac": "flac", "ogg": "ogg", "m4a": "mov",
            "aiff": "aiff", "aif": "aiff"}
# Same input, same bytes: no encoder version strings, no metadata copied from the source.
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
# ffmpeg's resampler (swr), made steeper than its default (filter_size=32, whose transition band
# lets an 8.2-kHz tone through a 16-kHz conversion only 15 dB down): measured at 44.1 -> 16 kHz,
# tones up to 7.5 kHz keep their level within 0.3 dB, tones from 7.8 kHz up fall to the 16-bit
# floor (over 80 dB down). About 370 times real time for stereo on one core.
RESAMPLER = "filter_size=256:cutoff=0.95"


def _ffmpeg(args, stdin=None):
    """Run ffmpeg quietly; return (returncode, error lines, warning lines, declared duration)."""
    import subprocess

    cmd = [ffmpeg_executable(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info",
           *args]
    proc = subprocess.run(cmd, input=stdin, capture_output=True)
    lines = proc.stderr.decode("utf-8", "replace").splitlines()
    errors = [ln for ln in lines if "[error]" in ln or "[fatal]" in ln or "[panic]" in ln]
    warnings = [ln for ln in lines if "[warning]" in ln]
    declared = None
    for ln in lines:
        match = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", ln)
        if match:
            h, m, sec = match.groups()
            declared = int(h) * 3600 + int(m) * 60 + float(sec)
            break
    return proc.returncode, errors, warnings, declared


# ffmpeg quotes some codes as it reads them in the file ("invalid start code root in RIFF
# header" holds the file's first four bytes; four-character codes in quotes): left out
_QUOTED_CODE = re.compile(r"(start code)\s+\S+|'[^']{1,8}'", re.IGNORECASE)


def _ffmpeg_reason(errors, fallback):
    """ffmpeg's first error line (the cause) and its last (the outcome), tags stripped, one line;
    codes ffmpeg quotes from the file are left out (:data:`_QUOTED_CODE`)."""
    lines = [_QUOTED_CODE.sub(lambda m: m.group(1) or "'...'", re.sub(r"^(\[[^\]]*\]\s*)+", "", ln)).strip().rstrip(".")
             for ln in errors]
    lines = [ln for ln in lines if ln]
    if not lines:
        return fallback
    return lines[0] if lines[0] == lines[-1] else f"{lines[0]} / {lines[-1]}"


def convert_to_wav(source, target, rate, source_format=None):
    """Decode any ffmpeg-readable file (mp3, ...) to a mono 16-bit WAV at ``rate``, atomically.

    ffmpeg's own resampler does the rate change (windowed-sinc, band-limited: content above the
    new Nyquist frequency is filtered out rather than aliased; see RESAMPLER). Channels are
    averaged (stereo: (L+R)/2; more channels: ffmpeg's standard downmix scaled to unit gain). A
    file that is not audio by its content, or not the container its suffix names, is refused
    before ffmpeg sees it (:func:`audio_problem`: the message says what it is not and quotes no
    byte). A file ffmpeg cannot decode, that decodes with errors, or that holds less audio than
    its header declares (an mp3 cut short in transfer) raises InputError naming the file with
    ffmpeg's first and last error lines (codes quoted from the file left out), on one line;
    nothing is written. Float samples that are NaN, infinite
    or beyond full scale are refused too (:func:`check_float_samples`). Returns the written
    samples (int16, 1-D).
    """
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise InputError(source, "file is missing")
    fmt = (source_format or source.suffix.lstrip(".")).lower()
    problem = audio_problem(source, source.with_suffix(f".{fmt}").name if fmt else None)
    if problem:  # ffmpeg is never shown a file that is no audio: its errors may quote the bytes
        raise InputError(source, problem)
    check_float_samples(source)
    demuxer = ["-f", DEMUXERS[fmt]] if fmt in DEMUXERS else []
    # aformat makes this one aresample do rate, downmix and sample format (option names that
    # ffmpeg 4 to 9 all know); rematrix_maxval=1 scales the downmix to unit gain (stereo:
    # 0.5 L + 0.5 R) whatever format it works in, where a float path would mix at 0.707 and clip.
    resample = (f"aresample={int(rate)}:rematrix_maxval=1:{RESAMPLER},"
                "aformat=sample_fmts=s16:channel_layouts=mono")
    with atomic_path(target) as tmp:
        code, errors, warnings, declared = _ffmpeg(
            ["-protocol_whitelist", "file", *demuxer, "-i", f"file:{source}", "-map", "0:a:0",
             "-af", resample, "-c:a", "pcm_s16le", *BITEXACT, "-f", "wav", "-y", f"file:{tmp}"])
        if code != 0 or errors:
            raise InputError(source, "cannot be decoded by ffmpeg "
                                     f"({_ffmpeg_reason(errors, f'ffmpeg exit status {code}')})")
        try:
            samples, _ = soundfile.read(str(tmp), dtype="int16")
        except (soundfile.LibsndfileError, RuntimeError) as err:
            raise InputError(source, f"ffmpeg wrote no readable audio ({err})") from None
        if len(samples) == 0:
            raise InputError(source, "holds no audio")
        estimated = any("Estimating duration" in w for w in warnings)
        seconds = len(samples) / rate
        short = declared is not None and seconds < declared - max(0.1, 0.01 * declared)
        if short and not estimated:
            raise InputError(source, f"truncated: header declares {declared:.2f} s, "
                                     f"only {seconds:.2f} s decode")
    return samples


def write_mp3(path, samples, rate, bitrate="192k"):
    """Encode int16 ``samples`` ((n,) mono or (n, channels)) as an mp3 with libmp3lame, atomically.

    The same samples give the same bytes (bit-exact flags, no metadata, no ID3 tag). The LAME
    header records the encoder delay and padding, so ffmpeg decodes exactly ``n`` samples back.
    """
    samples = np.asarray(samples)
    if samples.dtype != np.int16:
        raise TypeError(f"write_mp3 wants int16 samples, got {samples.dtype}")
    if samples.ndim not in (1, 2) or len(samples) == 0:
        raise ValueError(f"write_mp3 wants samples of shape (n,) or (n, channels), "
                         f"got {samples.shape}")
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    path = Path(path)
    raw = np.ascontiguousarray(samples, dtype="<i2").tobytes()
    with atomic_path(path) as tmp:
        code, errors, _, _ = _ffmpeg(
            ["-f", "s16le", "-ar", str(int(rate)), "-ac", str(channels), "-i", "pipe:0",
             "-c:a", "libmp3lame", "-b:a", str(bitrate), *BITEXACT, "-id3v2_version", "0",
             "-write_id3v1", "0", "-f", "mp3", "-y", f"file:{tmp}"], stdin=raw)
        if code != 0 or errors:
            raise RuntimeError(f"{path}: ffmpeg could not encode mp3 "
                               f"({_ffmpeg_reason(errors, f'exit status {code}')})")
