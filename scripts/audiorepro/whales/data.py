"""whales data: splits of ``train.csv`` (the notebook's head/tail and a stratified one), class
counts, and DIGITS' image pipeline (squash resize, mean image) with the batches it trained on.

Labels follow ``train.csv``: 1 is an upcall, 0 is not.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import rule
from ..errors import InputError, shown
from ..tables import csv_lines, read_csv_checked

SPLITS = ("train", "validation")
CLASSES = (0, 1)  # 0: no upcall, 1: upcall (train.csv's label)
CLASS_NAMES = {0: "no-upcall clip", 1: "upcall clip"}
FRACTION_KEY = "whales.split.train_fraction"


# --- train.csv and the splits -----------------------------------------------------------------


def read_train_csv(path):
    """train.csv as a DataFrame ``clip_name, label`` in file order; InputError names bad input
    (the file and, where a row is at fault, its line). What the layout around it holds that no
    protocol uses is counted and named in the log (:func:`log_unused`)."""
    frame = check_train_frame(read_csv_checked(path), where=path, lines=True)
    log_unused(Path(path).parent, frame, path)
    return frame


def log_unused(raw, frame, csv="train.csv"):
    """Log, counted and named, what the layout at ``raw`` (train.csv, train/, test/) holds that
    no protocol uses: train.csv's columns beyond clip_name and label, entries of ``train/`` that
    train.csv does not name, and the clips of ``test/`` (the competition's unlabelled test set,
    which the original did not use either)."""
    raw = Path(raw)
    extra = [c for c in frame.columns if c not in ("clip_name", "label")]
    if extra:
        rule.log.warning("%s: %d column(s) that no protocol reads, left out: %s", csv,
                         len(extra), shown(extra))
    if (raw / "train").is_dir():
        unnamed = sorted({e.name for e in (raw / "train").iterdir()} - set(frame["clip_name"]))
        if unnamed:
            rule.log.warning("%s: holds %d entr%s that %s does not name, left out (no label): "
                             "%s", raw / "train", len(unnamed), "y" if len(unnamed) == 1
                             else "ies", Path(csv).name, shown(unnamed))
    if (raw / "test").is_dir():
        rule.log.info("%s: %d entries, the competition's unlabelled test clips: no protocol uses "
                      "them (the original did not either)", raw / "test",
                      sum(1 for _ in (raw / "test").iterdir()))


def check_train_frame(frame, where="train.csv", lines=False):
    """The two columns, non-empty, unique plain clip names, labels 0 or 1 (other columns kept).

    ``lines``: the frame was read from the CSV ``where`` (one header line), so messages give
    the rows' line numbers.
    """
    def at(rows):
        return f" ({csv_lines(rows)})" if lines else ""

    missing = [c for c in ("clip_name", "label") if c not in frame.columns]
    if missing:
        raise InputError(where, f"lacks the column(s) {', '.join(missing)}")
    if frame.empty:
        raise InputError(where, "has no rows")
    frame = frame.reset_index(drop=True)
    names = frame["clip_name"].astype(str)
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = np.flatnonzero(~labels.isin(CLASSES))[:3]
    if len(bad):
        shown = ", ".join(f"{names[i]} (label {frame['label'][i]})" for i in bad)
        raise InputError(where, f"labels must be 0 or 1; not so for {shown}{at(bad)}")
    unusable = np.flatnonzero(frame["clip_name"].isna() | names.str.contains(r"[/\\]|^\.|^\s*$"))
    if len(unusable):
        i = unusable[0]
        raise InputError(where, f"clip_name {frame['clip_name'][i]!r} is not a file name in "
                                f"train/{at([i])}")
    twice = names[names.duplicated()].unique()[:3]
    if len(twice):
        rows = np.flatnonzero(names.isin(twice))
        raise InputError(where, f"names {', '.join(twice)} more than once{at(rows)}")
    return frame.assign(clip_name=names.to_numpy(), label=labels.astype(int).to_numpy())


def _train_count(n, train_fraction):
    if not 0.0 < train_fraction < 1.0:
        raise InputError(FRACTION_KEY, f"must lie strictly between 0 and 1, got {train_fraction}")
    return int(math.floor(train_fraction * n + 0.5))


def _check_split(split_frame, protocol, train_fraction):
    """The split itself: both parts must hold both classes, or InputError naming the setting."""
    for label in CLASSES:
        if not (split_frame["label"] == label).any():
            raise InputError("train.csv", f"has no {CLASS_NAMES[label]} (label {label}): no "
                                          "split can have one")
    counts = class_counts(split_frame)
    empty = [f"{part} has no {CLASS_NAMES[label]}" for part in SPLITS for label in CLASSES
             if counts.loc[part, label] == 0]
    if empty:
        shown = "; ".join(f"{part}: {counts.loc[part, 0]} without and {counts.loc[part, 1]} with "
                          "an upcall" for part in SPLITS)
        raise InputError(FRACTION_KEY, f"{train_fraction} of {len(split_frame)} clips gives a "
                                       f"{protocol} split where {', '.join(empty)} ({shown}); "
                                       "choose a share that leaves both classes in both parts")
    return split_frame


def digits_head_tail_split(train_csv_frame, train_fraction=0.9):
    """What the notebook's shell did: ``head -n 27000`` trains, ``tail -n 3000`` validates.

    The first round(fraction * n) rows in file order are ``train``, the rest ``validation``
    (the text called it a random 90 %; the code was not random). Returns
    ``clip_name, label, split`` in file order. A part without both classes is an InputError
    naming ``whales.split.train_fraction`` and the counts.
    """
    frame = check_train_frame(train_csv_frame)
    n_train = _train_count(len(frame), train_fraction)
    split = frame.assign(split=np.where(np.arange(len(frame)) < n_train, "train", "validation"))
    return _check_split(split, "digits", train_fraction)


def stratified_split(frame, train_fraction, seed):
    """A seeded random split keeping each class's proportion; rows stay in file order. A part
    without both classes is an InputError naming ``whales.split.train_fraction``."""
    frame = check_train_frame(frame)
    rng = np.random.default_rng(seed)
    in_train = np.zeros(len(frame), bool)
    for label in CLASSES:
        rows = np.flatnonzero(frame["label"].to_numpy() == label)
        chosen = rng.permutation(rows)[: _train_count(len(rows), train_fraction)]
        in_train[chosen] = True
    split = frame.assign(split=np.where(in_train, "train", "validation"))
    return _check_split(split, "stratified", train_fraction)


def protocol_split(protocol, clips, settings):
    """The split table of ``protocol`` (``digits``: :func:`digits_head_tail_split`;
    ``stratified``: :func:`stratified_split` seeded with ``settings["seed"]``) of the rendered
    clips (``clip_name, label, row``), with ``settings["train_fraction"]`` (``whales.split``)
    training; each clip keeps its ``row`` in the packed images."""
    fraction = settings["train_fraction"]
    if protocol == "digits":
        table = digits_head_tail_split(clips, fraction)
    elif protocol == "stratified":
        table = stratified_split(clips, fraction, settings["seed"])
    else:
        raise ValueError(f"unknown whales protocol {protocol!r}: digits or stratified")
    return table.assign(row=clips["row"].to_numpy())


def class_counts(split_frame):
    """Clips per split (rows: train, validation) and class (columns: 0, 1), for the histogram."""
    counts = pd.crosstab(split_frame["split"], split_frame["label"])
    return counts.reindex(index=list(SPLITS), columns=list(CLASSES), fill_value=0).rename_axis(
        index="split", columns="label"
    )


# --- DIGITS' image pipeline ----------------------------------------------------------------


def _pil_bilinear_taps(in_size, out_size, precision_bits=22):
    """Pillow's BILINEAR resampling along one axis, as (indices, fixed-point weights) per output.

    DIGITS squashed with scipy.misc.imresize, i.e. Pillow's ``resize(BILINEAR)``: a triangle
    filter widened by the scale factor when shrinking, weights normalised and then rounded to
    22-bit fixed point (Pillow's ``precompute_coeffs`` and ``normalize_coeffs_8bpc``).
    """
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)
    support = filter_scale
    taps = int(math.ceil(support)) * 2 + 1
    index = np.zeros((out_size, taps), np.int64)
    weight = np.zeros((out_size, taps), np.int64)
    for out in range(out_size):
        center = (out + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        x = np.arange(lo, hi)
        w = np.maximum(0.0, 1.0 - np.abs((x - center + 0.5) / filter_scale))
        w = w / w.sum() if w.sum() else w
        fixed = np.where(w < 0, np.trunc(w * (1 << precision_bits) - 0.5),
                         np.trunc(w * (1 << precision_bits) + 0.5))
        index[out, : len(x)] = x
        weight[out, : len(x)] = fixed
    return index, weight


def _resample_axis(images, taps, axis, precision_bits=22):
    """One Pillow pass along ``axis``: fixed-point sum over the taps, rounded, clipped to uint8.

    int32 is exact here: 255 * 2**22 plus rounding stays below 2**31 (bilinear weights are >= 0).
    """
    index, weight = taps
    shape = [1] * images.ndim
    shape[axis] = len(index)
    out_shape = images.shape[:axis] + (len(index),) + images.shape[axis + 1 :]
    total = np.full(out_shape, 1 << (precision_bits - 1), np.int32)
    for k in range(index.shape[1]):
        if weight[:, k].any():  # upscaling leaves the last tap empty
            column = weight[:, k].astype(np.int32).reshape(shape)
            total += np.take(images, index[:, k], axis=axis) * column
    np.right_shift(total, precision_bits, out=total)
    return np.clip(total, 0, 255).astype(np.uint8)


def squash(images_uint8, size, chunk=64, dtype=np.float32):
    """DIGITS' "squash" resize of (n, rows, cols) uint8 images to (n, H, W, 1) of ``dtype``.

    Bit-exact with Pillow's two-pass BILINEAR resize (uint8 between the passes), vectorised over
    the stack (~0.5 ms an image at 256x256). ``size`` is H (square) or (H, W). The values are
    whole grey levels, so ``dtype=np.uint8`` loses nothing and takes a quarter of the memory
    (30,000 images at 256x256: 2 GB instead of 7.9 GB).
    """
    images = np.asarray(images_uint8)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"squash wants (n, rows, cols) uint8, got {images.dtype} {images.shape}")
    height, width = (size, size) if np.isscalar(size) else size
    n, rows, cols = images.shape
    across = _pil_bilinear_taps(cols, width)
    down = _pil_bilinear_taps(rows, height)
    # Pillow resizes horizontally first (every version, and so for DIGITS' upscaling), except
    # that current Pillow starts vertically when that shrinks the image to a smaller intermediate
    # (found by comparing both orders with Pillow over a grid of sizes).
    vertical_first = height < rows and height * cols < rows * width
    passes = [(down, 1, height != rows), (across, 2, width != cols)]
    passes = passes if vertical_first else passes[::-1]
    out = np.empty((n, height, width, 1), dtype)
    for lo in range(0, n, chunk):
        part = images[lo : lo + chunk]
        for taps, axis, needed in passes:
            part = _resample_axis(part, taps, axis) if needed else part
        out[lo : lo + chunk, :, :, 0] = part
    return out


def mean_image(train_images):
    """The training set's mean image (DIGITS' mean.binaryproto): float32 of one image's shape."""
    return np.mean(np.asarray(train_images), axis=0, dtype=np.float64).astype(np.float32)


def subtract_mean(images, mean):
    """Images minus the mean image, float32 (Caffe's transform with a mean file, no scaling)."""
    return np.asarray(images, np.float32) - np.asarray(mean, np.float32)
