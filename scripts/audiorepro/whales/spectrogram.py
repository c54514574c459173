"""Spectrogram images of the whale clips, as the original ``preprocess-aiff.py`` made them.

The original rendered every 2-s, 2-kHz clip (4,000 int16 samples) with pyplot's
``specgram(x, NFFT=256, noverlap=128)`` (Fs=2, Hann window, no detrending, linear PSD, one-sided:
129 frequency rows x 30 time columns) and saved ``pxx`` with ``scipy.misc.imsave``, whose
``bytescale`` maps each image's own min..max linearly onto 0..255 with rounding. The PNG is
30 wide and 129 tall with the DC row at the top.

Two implementations live here:

* :func:`render_reference`: that per-file pyplot loop, kept as the test oracle and the benchmark's
  baseline;
* :func:`render_files` / :func:`render_batch`: the same numbers from one numpy FFT over a block of
  clips, a minimal PNG encoder, and chunks spread over worker processes. They also return the
  images packed as one (n, 129, 30) uint8 array, so training never reads 30,000 PNGs.

:func:`render_train_csv` is the rule ``whales_render``: every clip ``train.csv`` names.
"""

import os
import struct
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..atomic import all_or_nothing, atomic_path
from ..audio import read_audio
from ..errors import InputError
from .data import read_train_csv

RATE = 2000
SAMPLES = 4000
NFFT = 256
NOVERLAP = 128
FS = 2.0  # matplotlib's default: frequencies come out normalised, and the PSD is divided by it
ROWS = NFFT // 2 + 1  # one-sided spectrum: 129
COLUMNS = (SAMPLES - NFFT) // (NFFT - NOVERLAP) + 1  # 30
_BLOCK = 1024  # clips per FFT block: bounds the temporaries to ~160 MB


# --- reading ---------------------------------------------------------------------------------


def read_clip(path, fast=True):
    """One clip as int16 samples; InputError naming the file unless it is 2-kHz mono, 4,000 long.

    ``fast=False`` always goes through :func:`read_audio` (the reference loop does, as the
    original went through ``aifc``).
    """
    samples = _read_plain_aiff(path) if fast else None
    if samples is None:
        samples, _ = read_audio(path, rate=RATE, channels=1)
    if len(samples) != SAMPLES:
        raise InputError(path, f"has {len(samples)} samples, expected {SAMPLES} (2 s at 2 kHz)")
    return samples


def _extended_to_float(ten_bytes):
    """AIFF's 80-bit IEEE extended sample rate as a Python float."""
    exponent, mantissa = struct.unpack(">HQ", ten_bytes)
    sign = -1.0 if exponent & 0x8000 else 1.0
    exponent &= 0x7FFF
    if exponent == 0 and mantissa == 0:
        return 0.0
    return sign * mantissa * 2.0 ** (exponent - 16383 - 63)


def _read_plain_aiff(path):
    """Fast path for the one layout the data set uses (plain AIFF, 16-bit, mono, 2 kHz, whole).

    libsndfile costs ~0.25 ms a file in open/info/read calls, more than everything else we do to
    a clip. Anything this parser does not fully recognise returns None, and the caller falls back
    to :func:`read_audio`, which decodes it or raises the InputError; so the fast path never
    accepts a file that the checked reader would reject.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < 12 or data[:4] != b"FORM" or data[8:12] != b"AIFF":
        return None
    comm = ssnd = None
    pos = 12
    while pos + 8 <= len(data):
        tag, length = struct.unpack(">4sI", data[pos : pos + 8])
        body = pos + 8
        if tag == b"COMM" and length >= 18:
            comm = data[body : body + 18]
        elif tag == b"SSND":
            ssnd = (body, length)
        pos = body + length + (length & 1)
    if comm is None or ssnd is None or len(comm) < 18:
        return None
    channels, frames, bits = struct.unpack(">hIh", comm[:8])
    if (channels, frames, bits) != (1, SAMPLES, 16) or _extended_to_float(comm[8:18]) != RATE:
        return None
    body, length = ssnd
    if body + 8 > len(data):
        return None
    offset = struct.unpack(">I", data[body : body + 4])[0]
    start = body + 8 + offset
    end = start + 2 * SAMPLES
    if end > body + length or end > len(data):
        return None
    return np.frombuffer(data, dtype=">i2", count=SAMPLES, offset=start).astype(np.int16)


def _read_chunk(paths):
    try:
        return np.stack([read_clip(p) for p in paths]) if paths else _empty_samples()
    except InputError as err:
        # InputError's two-argument constructor does not survive pickling back from a worker
        return ("InputError", err.where, err.problem)


def _empty_samples():
    return np.zeros((0, SAMPLES), np.int16)


def available_cores():
    """CPUs this process may run on (what a worker pool should use by default)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_clips(paths, workers=1):
    """All clips as one (n, 4000) int16 array, read in chunks over ``workers`` processes."""
    parts = _map_chunks(_read_chunk, [[str(p) for p in c] for c in _chunks(list(paths), workers)],
                        workers)
    return np.concatenate(parts) if parts else _empty_samples()


# --- the original, one file at a time -----------------------------------------------------------


def specgram_reference(samples):
    """pxx exactly as the original got it: pyplot ``specgram`` drawn on a fresh Agg figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        with np.errstate(divide="ignore"):  # the dB image of a silent clip; pxx itself is fine
            pxx, _freqs, _bins, _im = plt.specgram(samples, NFFT=NFFT, noverlap=NOVERLAP)
    finally:
        plt.close(fig)
    return pxx


def save_png_reference(image, path):
    """What ``scipy.misc.imsave`` did with an already byte-scaled 2-D array: a Pillow 'L' PNG.

    Saved in place as imsave did (the loop stages its outputs as a whole, like the batched one).
    """
    from PIL import Image

    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(path, format="PNG")


def render_reference(paths_in, paths_out):
    """The original loop: read, pyplot specgram, bytescale, save one PNG, next file."""
    paths_in, paths_out = list(paths_in), list(paths_out)
    _check_pairs(paths_in, paths_out)
    _make_folders(paths_out)
    with all_or_nothing(paths_out):
        for src, dst in zip(paths_in, paths_out):
            save_png_reference(bytescale(specgram_reference(read_clip(src, fast=False))), dst)


# --- batched -----------------------------------------------------------------------------------


def specgram_batch(samples2d):
    """matplotlib's ``specgram`` PSD for every row of an (n, 4000) array: (n, 129, 30) float64.

    The steps and their order follow ``matplotlib.mlab._spectral_helper`` for mode 'psd',
    one-sided, scale_by_freq: frames of 256 every 128 samples, times the Hann window, FFT,
    conj(X)*X, every bin but DC and Nyquist doubled, divided by Fs and by sum(window**2).
    Only the FFT differs (rfft instead of fft on real input): a few ulps at most.
    """
    samples2d = np.asarray(samples2d)
    if samples2d.ndim != 2:
        raise ValueError(f"specgram_batch wants (clips, samples), got shape {samples2d.shape}")
    n, length = samples2d.shape
    columns = (length - NFFT) // (NFFT - NOVERLAP) + 1
    out = np.empty((n, ROWS, columns))
    window = np.hanning(NFFT)
    norm = (window**2).sum()
    for lo in range(0, n, _BLOCK):
        block = samples2d[lo : lo + _BLOCK]
        frames = np.lib.stride_tricks.sliding_window_view(block, NFFT, axis=1)[
            :, :: NFFT - NOVERLAP
        ]
        spectrum = np.fft.rfft(frames * window, axis=-1)
        psd = spectrum.real**2 + spectrum.imag**2
        psd[..., 1:-1] *= 2.0
        psd /= FS
        psd /= norm
        out[lo : lo + len(block)] = psd.transpose(0, 2, 1)
    return out


def bytescale(pxx):
    """scipy.misc's bytescale, per image: each image's min..max onto 0..255, rounded.

    Takes one (rows, cols) image or a stack (n, rows, cols). A constant image maps to all zeros,
    as scipy did (it divided by 1 instead of 0).
    """
    pxx = np.asarray(pxx, dtype=np.float64)
    lo = pxx.min(axis=(-2, -1), keepdims=True)
    span = pxx.max(axis=(-2, -1), keepdims=True) - lo
    scale = 255.0 / np.where(span == 0, 1.0, span)
    return (((pxx - lo) * scale).clip(0, 255) + 0.5).astype(np.uint8)


def _png_chunk(tag, payload):
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(
        ">I", zlib.crc32(tag + payload)
    )


def encode_png(image):
    """A 2-D uint8 array as the bytes of an 8-bit greyscale PNG (row 0 on top).

    Pillow spends ~0.3 ms per tiny image on object and file handling; these 4 kB images need only
    the three mandatory chunks and one zlib call (fast level-1 run-length deflate: the files stay
    within one 4-kB disk block at any level, and level 6 takes twice as long).
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape
    rows = np.zeros((height, width + 1), np.uint8)  # leading 0 = filter type "none" on each row
    rows[:, 1:] = image
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    deflate = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", deflate.compress(rows.tobytes()) + deflate.flush()),
            _png_chunk(b"IEND", b""),
        ]
    )


def _write_pngs(images, paths):
    # Plain writes: a staging file per 4-kB image would double the cost; callers stage the whole
    # output (all_or_nothing here, atomic_path(is_dir=True) in render_train_csv).
    for image, path in zip(images, paths):
        with open(path, "wb") as f:
            f.write(encode_png(image))


def _render_chunk(job):
    samples, paths = job
    images = bytescale(specgram_batch(samples))
    _write_pngs(images, paths)
    return images


def _read_render_chunk(job):
    paths_in, paths_out = job
    samples = _read_chunk(paths_in)
    if isinstance(samples, tuple):
        return samples
    return _render_chunk((samples, paths_out))


def render_batch(samples2d, paths_out, workers=1, packed_path=None):
    """Render clips already in memory: PSD, bytescale, PNGs, over ``workers`` processes.

    Returns the images as one (n, 129, 30) uint8 array (also saved to ``packed_path`` as .npy
    when given). On any failure none of the outputs is left behind.
    """
    samples2d = np.asarray(samples2d)
    paths_out = [str(p) for p in paths_out]
    _check_pairs(samples2d, paths_out)
    index_chunks = _chunks(list(range(len(paths_out))), workers)
    jobs = [(samples2d[c[0] : c[-1] + 1], paths_out[c[0] : c[-1] + 1]) for c in index_chunks]
    return _render_jobs(_render_chunk, jobs, paths_out, workers, packed_path)


def render_files(paths_in, paths_out, workers=1, packed_path=None):
    """Read and render clip files in one pass over ``workers`` processes (the rule's own step).

    Every clip must be 2-kHz mono with 4,000 samples, or InputError names it and none of the
    outputs is left behind. Returns the (n, 129, 30) uint8 images, as :func:`render_batch`.
    """
    paths_in = [str(p) for p in paths_in]
    paths_out = [str(p) for p in paths_out]
    _check_pairs(paths_in, paths_out)
    index_chunks = _chunks(list(range(len(paths_in))), workers)
    jobs = [(paths_in[c[0] : c[-1] + 1], paths_out[c[0] : c[-1] + 1]) for c in index_chunks]
    return _render_jobs(_read_render_chunk, jobs, paths_out, workers, packed_path)


def render_train_csv(raw, pngs, packed_path, workers=1):
    """Every training clip of the layout ``raw`` (``train.csv``, ``train/``) rendered as a PNG
    of the same stem in the folder ``pngs`` (written whole or not at all) and packed into
    ``packed_path`` (:func:`render_files`). Returns (train.csv's table with each clip's ``row``
    in the packed array, the images)."""
    raw = Path(raw)
    clips = read_train_csv(raw / "train.csv")
    paths_in = [raw / "train" / name for name in clips.clip_name]
    with atomic_path(pngs, is_dir=True) as folder:
        paths_out = [folder / Path(name).with_suffix(".png").name for name in clips.clip_name]
        images = render_files(paths_in, paths_out, workers=workers, packed_path=packed_path)
    return clips.assign(row=range(len(clips))), images


def _render_jobs(function, jobs, paths_out, workers, packed_path):
    _make_folders(paths_out)
    with all_or_nothing(paths_out):
        parts = _map_chunks(function, jobs, workers)
        images = np.concatenate(parts) if parts else np.zeros((0, ROWS, COLUMNS), np.uint8)
        if packed_path is not None:
            with atomic_path(packed_path) as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, images)
    return images


# --- plumbing ----------------------------------------------------------------------------------


def _make_folders(paths):
    for folder in {os.path.dirname(str(p)) for p in paths}:
        Path(folder or ".").mkdir(parents=True, exist_ok=True)


def _check_pairs(inputs, outputs):
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} clips but {len(outputs)} output paths")


def _chunks(items, workers, smallest=64, largest=1024):
    """Contiguous chunks: a few per worker so a slow one does not hold up the end."""
    if not items:
        return []
    size = int(np.clip(-(-len(items) // (4 * max(workers, 1))), smallest, largest))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _map_chunks(function, jobs, workers):
    """function over jobs, in order, in worker processes when it pays; re-raises InputError."""
    if workers <= 1 or len(jobs) <= 1:
        results = [function(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            results = list(pool.map(function, jobs))
    for result in results:
        if isinstance(result, tuple) and result and result[0] == "InputError":
            raise InputError(result[1], result[2])
    return results
