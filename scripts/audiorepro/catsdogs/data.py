"""catsdogs data: file tables, the two split protocols, standardisation and the random-window
generator the notebook trained with.

Labels follow the original notebook: 0 is cat, 1 is dog.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import rule
from ..errors import InputError, shown
from ..tables import csv_lines, read_csv_checked  # noqa: F401 (part of this module's API)

LABELS = {"cat": 0, "dog": 1}
ANIMALS = {0: "cat", 1: "dog"}
NAME = re.compile(r"^(?:(cat)|dog_barking)_(\d+)\.wav$")
SPLIT_COLUMNS = ["test_cat", "test_dog", "train_cat", "train_dog"]
FOLDER = "cats_dogs"
SPLIT_CSV = "train_test_split.csv"


# ---------------------------------------------------------------- file table and split CSV
def file_table(names, folder=FOLDER):
    """One row per audio file: ``file``, ``label`` (0 cat, 1 dog), ``number`` from its name.

    A name of neither form is an InputError naming it inside ``folder``.
    """
    rows = []
    for name in sorted(names):
        match = NAME.match(name)
        if not match:
            raise InputError(Path(folder) / name, "is not named cat_N.wav or dog_barking_N.wav")
        rows.append((name, 0 if match.group(1) else 1, int(match.group(2))))
    table = pd.DataFrame(rows, columns=["file", "label", "number"])
    return table.sort_values(["label", "number"], ignore_index=True)


def wav_names(folder):
    """The names of the WAV files in the data set's folder (``cats_dogs/``), the files the
    protocols use. Whatever else it holds (a file of another format, a folder: the original
    layout is WAVs only) is counted and named in the log as left out, never dropped silently."""
    folder = Path(folder)
    names, other, folders = [], [], []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            folders.append(f"{entry.name}/ ({sum(1 for _ in entry.rglob('*'))} entries)")
        elif entry.suffix.lower() == ".wav":
            names.append(entry.name)
        else:
            other.append(entry.name)
    if other:
        rule.log.warning("%s: left out %d file(s) that are not WAV (the data set is 16-kHz WAV "
                         "only; convert one to WAV to use it): %s", folder, len(other),
                         shown(other))
    if folders:
        rule.log.warning("%s: left out %d folder(s) (the data set's WAVs lie in %s/ itself): %s",
                         folder, len(folders), FOLDER, shown(folders))
    return names


def read_split_csv(path, known_files):
    """Parse Kaggle's ``train_test_split.csv`` into a table ``file, label, split`` (train/test).

    The file has an unnamed index column and four name columns padded with empty cells.
    Every name must be a known audio file of the right class, and none may appear twice, in one
    column or in two; messages give the file's line. Nothing is left out quietly: columns
    beyond the four (the real file has ``odd``) and known files the four do not name (the clean
    split cannot use them) are counted and named in the log.
    """
    frame = read_csv_checked(path, index_col=0, dtype=str)
    missing = [c for c in SPLIT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"lacks the column(s) {', '.join(missing)}")
    extra = [c for c in frame.columns if c not in SPLIT_COLUMNS]
    if extra:
        rule.log.warning("%s: %d column(s) that no protocol reads, left out: %s", path,
                         len(extra), shown(f"{c} ({frame[c].notna().sum()} names)" for c in extra))
    known = set(known_files)
    rows = []
    for column in SPLIT_COLUMNS:
        split, animal = column.split("_")
        for position, name in enumerate(frame[column]):
            if pd.isna(name):
                continue
            name = name.strip()
            if name not in known:
                raise InputError(path, f"column {column} names {name}, which is not in {FOLDER}/ "
                                       f"({csv_lines([position])})")
            if (name.startswith("cat_")) != (animal == "cat"):
                raise InputError(path, f"column {column} names {name}, a file of the other class "
                                       f"({csv_lines([position])})")
            rows.append((name, LABELS[animal], split, column, position))
    table = pd.DataFrame(rows, columns=["file", "label", "split", "column", "position"])
    for name, places in table[table["file"].duplicated(keep=False)].groupby("file", sort=False):
        columns = places["column"].unique()
        if len(columns) == 1:
            times = "twice" if len(places) == 2 else f"{len(places)} times"
            raise InputError(path, f"names {name} {times} in column {columns[0]} "
                                   f"({csv_lines(places['position'])})")
        where = ", ".join(f"{column} {csv_lines([position])}"
                          for column, position in zip(places["column"], places["position"]))
        raise InputError(path, f"names {name} in more than one column ({where})")
    unnamed = sorted(known - set(table["file"]))
    if unnamed:
        rule.log.warning("%s: names %d of the %d files of %s/ nowhere: the clean split leaves "
                         "them out: %s", path, len(unnamed), len(known), FOLDER, shown(unnamed))
    return table[["file", "label", "split"]]


# ---------------------------------------------------------------- split protocols
def _check_parts(table, key, share):
    """InputError naming the setting ``key`` unless training and validation both hold both
    classes; ``share`` says what the setting did, the message adds the counts."""
    parts = ("train", "validation")
    counts = pd.crosstab(table["split"], table["label"]).reindex(
        index=list(parts), columns=[0, 1], fill_value=0)
    empty = [f"{part} has no {ANIMALS[label]}" for part in parts for label in (0, 1)
             if counts.loc[part, label] == 0]
    if empty:
        shown = "; ".join(f"{part}: {counts.loc[part, 0]} cats, {counts.loc[part, 1]} dogs"
                          for part in parts)
        raise InputError(key, f"{share}: {', '.join(empty)} ({shown}); choose a share that "
                              "leaves both classes in both parts")


def _require_both_classes(files, where):
    for label in (0, 1):
        if not (files["label"] == label).any():
            raise InputError(where, f"holds no {ANIMALS[label]} file: no split can have one")


def original_split(files, validation_fraction, test_per_class, seed):
    """The notebook's protocol: a 75/25 file split with no regard to the CSV, and its test folder.

    sklearn's ``train_test_split(test_size=0.25)`` takes ceil(0.25 n) files for validation; the
    test folder held the five highest-numbered cats and five lowest-numbered dogs, which are
    also in the training folder: the leak is reproduced on purpose. A training or validation part
    without both classes, or an empty test folder, is an InputError naming the setting.
    """
    _require_both_classes(files, f"{FOLDER}/")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(files))
    n_val = int(np.ceil(validation_fraction * len(files)))
    split = np.full(len(files), "train", dtype=object)
    split[order[:n_val]] = "validation"
    table = files[["file", "label"]].assign(split=split)
    _check_parts(table, "catsdogs.split.original_validation_fraction",
                 f"{validation_fraction} of {len(files)} files puts {n_val} in validation")
    if test_per_class < 1:
        raise InputError("catsdogs.split.original_test_per_class",
                         f"is {test_per_class}: the test folder would be empty; give at least 1")
    cats = files[files.label == 0].nlargest(test_per_class, "number")
    dogs = files[files.label == 1].nsmallest(test_per_class, "number")
    test = pd.concat([cats, dogs])[["file", "label"]].assign(split="test")
    return pd.concat([table, test], ignore_index=True)


def clean_split(split_csv_table, validation_fraction, seed):
    """Test files from the CSV; validation carved by file, per class, from its training files.

    A split without both classes is an InputError naming what to change: the CSV's columns
    (no file of a class) or ``catsdogs.split.clean_validation_fraction``.
    """
    rng = np.random.default_rng(seed)
    table = split_csv_table.copy()
    for split in ("train", "test"):
        for label in (0, 1):
            if not ((table.split == split) & (table.label == label)).any():
                raise InputError(SPLIT_CSV, f"column {split}_{ANIMALS[label]} names no file: the "
                                            f"{split} split would have no {ANIMALS[label]}")
    for label in (0, 1):
        train = table.index[(table.split == "train") & (table.label == label)]
        n_val = int(round(validation_fraction * len(train)))
        table.loc[rng.choice(train, size=n_val, replace=False), "split"] = "validation"
    _check_parts(table, "catsdogs.split.clean_validation_fraction",
                 f"{validation_fraction} of each class's training files for validation")
    return table.sort_values(["split", "label", "file"], ignore_index=True)


def protocol_split(protocol, clips, raw, settings):
    """The split table (file, label, split) of ``protocol``: ``original``
    (:func:`original_split` of the decoded files ``clips``) or ``clean`` (:func:`clean_split` of
    the data set's split CSV in the folder ``raw``); ``settings`` is ``catsdogs.split``."""
    if protocol == "original":
        return original_split(clips, settings["original_validation_fraction"],
                              settings["original_test_per_class"], settings["seed"])
    csv = read_split_csv(Path(raw) / SPLIT_CSV, clips["file"])
    return clean_split(csv, settings["clean_validation_fraction"], settings["seed"])


# ---------------------------------------------------------------- standardisation
def moments(x):
    """(mean, std) of a signal; a silent signal gets std 1 so that nothing divides by zero."""
    x = np.asarray(x, dtype=np.float64)
    std = float(x.std())
    return float(x.mean()), std if std > 0 else 1.0


def standardisation(protocol, split_audio):
    """(mean, std) to apply, per split and label: ``stats[split][label]``.

    ``split_audio[split][label]`` is the concatenated audio of that split and class.
    original: each class vector of each split standardised on its own (the label leaks through
    the scale); clean: one mean and std from all training audio, applied everywhere.
    """
    if protocol == "original":
        return {split: {label: moments(x) for label, x in by_label.items()}
                for split, by_label in split_audio.items()}
    if protocol == "clean":
        shared = moments(np.concatenate([split_audio["train"][label] for label in (0, 1)]))
        return {split: {label: shared for label in by_label} for split, by_label in split_audio.items()}
    raise InputError("catsdogs.protocols", f"unknown protocol {protocol!r} (original or clean)")


def standardise(x, stats):
    mean, std = stats
    return ((np.asarray(x, dtype=np.float32) - mean) / std).astype(np.float32)


def prepared_audio(protocol, pack, split_table):
    """The audio as the protocol feeds it to the network.

    Returns (vectors, test, stats): ``vectors[split][label]`` the standardised class vector of the
    train and validation files; ``test`` a list of (file, label, standardised clip); ``stats`` the
    (mean, std) used. The original standardised each test file on its own; clean uses training
    statistics.
    """
    raw = {}
    for split in ("train", "validation"):
        rows = split_table[split_table.split == split]
        raw[split] = {}
        for label in (0, 1):
            names = rows.file[rows.label == label]
            if names.empty:
                raise InputError(f"{split} split", f"has no {'dog' if label else 'cat'} files")
            raw[split][label] = np.concatenate(pack.clips(names))
    stats = standardisation(protocol, raw)
    vectors = {split: {label: standardise(x, stats[split][label]) for label, x in by_label.items()}
               for split, by_label in raw.items()}
    test = []
    for row in split_table[split_table.split == "test"].itertuples():
        x = pack.clip(row.file)
        test_stats = moments(x) if protocol == "original" else stats["train"][row.label]
        test.append((row.file, int(row.label), standardise(x, test_stats)))
    return vectors, test, stats


# ---------------------------------------------------------------- test segments
def segments(x, window):
    """Non-overlapping ``window``-long segments of one clip (a shorter tail is dropped)."""
    n = len(x) // window
    return np.asarray(x[: n * window], np.float32).reshape(n, window)


def segment_table(test_clips, window):
    """Stack every test clip's segments: (segments array, table with file, label, segment)."""
    arrays, rows = [], []
    for name, label, x in test_clips:
        seg = segments(x, window)
        arrays.append(seg)
        rows += [(name, label, i) for i in range(len(seg))]
    table = pd.DataFrame(rows, columns=["file", "label", "segment"])
    stacked = np.concatenate(arrays) if arrays else np.zeros((0, window), np.float32)
    return stacked, table




def segment_audio(pack, protocol, stats, file, label, segment, window):
    """One standardised 1-s test segment, as the training rule scored it, without preparing
    every split again: ``original`` standardised each test file on its own, ``clean`` with the
    training statistics (``stats`` as stored in the metrics file)."""
    x = pack.clip(file)
    scale = moments(x) if protocol == "original" else stats["train"][str(label)]
    return standardise(x, scale)[segment * window: (segment + 1) * window]


def ablation_variants(ablations, model, training):
    """The ablations of claims C4 and C5 as {variant: {"model": settings, "training": changes}}.

    ``<protocol>-filters<f>``: each fewer-filter model (C4), trained as the configured model.
    ``<protocol>-k<kernel>s<stride>``: each point of the kernel x stride grid (C5), trained with
    ``ablations.grid_training`` in place of those ``training`` settings (a CPU-sized budget:
    stride 1 keeps every layer at the window's full length, ten times the work of stride 2).
    The grid point of the configured model is that model, not trained twice, unless the grid's
    training differs from the model's: then it trains under the grid's too, so that every
    point of the grid had the same budget."""
    protocol = ablations["protocol"]
    changes = {k: v for k, v in (ablations.get("grid_training") or {}).items() if training.get(k) != v}
    variants = {f"{protocol}-filters{f}": {"model": {**model, "filters": f}, "training": {}}
                for f in ablations["filters"]}
    for k in ablations["kernel_size"]:
        for s in ablations["strides"]:
            if changes or (k, s) != (model["kernel_size"], model["strides"]):
                variants[f"{protocol}-k{k}s{s}"] = {
                    "model": {**model, "kernel_size": k, "strides": s}, "training": changes}
    return variants


def variant_protocol(variant):
    """The split protocol a variant trains under: ``original-k3s1`` -> ``original``."""
    return variant.split("-")[0]
