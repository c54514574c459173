"""catsdogs data: file tables, the two split protocols, standardisation and the random-window
generator the notebook trained with.

Labels follow the original notebook: 0 is cat, 1 is dog.
"""

import re

import numpy as np
import pandas as pd

from ..errors import InputError

LABELS = {"cat": 0, "dog": 1}
NAME = re.compile(r"^(?:(cat)|dog_barking)_(\d+)\.wav$")
SPLIT_COLUMNS = ["test_cat", "test_dog", "train_cat", "train_dog"]
FOLDER = "cats_dogs"
SPLIT_CSV = "train_test_split.csv"


# ---------------------------------------------------------------- file table and split CSV
def file_table(names):
    """One row per audio file: ``file``, ``label`` (0 cat, 1 dog), ``number`` from its name."""
    rows = []
    for name in sorted(names):
        match = NAME.match(name)
        if not match:
            raise InputError(name, "is not named cat_N.wav or dog_barking_N.wav")
        rows.append((name, 0 if match.group(1) else 1, int(match.group(2))))
    table = pd.DataFrame(rows, columns=["file", "label", "number"])
    return table.sort_values(["label", "number"], ignore_index=True)


def read_split_csv(path, known_files):
    """Parse Kaggle's ``train_test_split.csv`` into a table ``file, label, split`` (train/test).

    The file has an unnamed index column and four name columns padded with empty cells.
    Every name must be a known audio file of the right class, and none may appear twice.
    """
    try:
        frame = pd.read_csv(path, index_col=0, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(path, f"is not a readable CSV ({err})") from None
    missing = [c for c in SPLIT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"lacks the column(s) {', '.join(missing)}")
    known = set(known_files)
    rows = []
    for column in SPLIT_COLUMNS:
        split, animal = column.split("_")
        for name in frame[column].dropna():
            name = name.strip()
            if name not in known:
                raise InputError(path, f"column {column} names {name}, which is not in {FOLDER}/")
            if (name.startswith("cat_")) != (animal == "cat"):
                raise InputError(path, f"column {column} names {name}, a file of the other class")
            rows.append((name, LABELS[animal], split))
    table = pd.DataFrame(rows, columns=["file", "label", "split"])
    twice = table["file"][table["file"].duplicated()].tolist()
    if twice:
        raise InputError(path, f"names {', '.join(twice[:5])} in more than one column")
    return table


# ---------------------------------------------------------------- split protocols
def original_split(files, validation_fraction, test_per_class, seed):
    """The notebook's protocol: a 75/25 file split with no regard to the CSV, and its test folder.

    sklearn's ``train_test_split(test_size=0.25)`` takes ceil(0.25 n) files for validation; the
    test folder held the five highest-numbered cats and five lowest-numbered dogs, which are
    also in the training folder: the leak is reproduced on purpose.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(files))
    n_val = int(np.ceil(validation_fraction * len(files)))
    split = np.full(len(files), "train", dtype=object)
    split[order[:n_val]] = "validation"
    table = files[["file", "label"]].assign(split=split)
    cats = files[files.label == 0].nlargest(test_per_class, "number")
    dogs = files[files.label == 1].nsmallest(test_per_class, "number")
    test = pd.concat([cats, dogs])[["file", "label"]].assign(split="test")
    return pd.concat([table, test], ignore_index=True)


def clean_split(split_csv_table, validation_fraction, seed):
    """Test files from the CSV; validation carved by file, per class, from its training files."""
    rng = np.random.default_rng(seed)
    table = split_csv_table.copy()
    for label in (0, 1):
        train = table.index[(table.split == "train") & (table.label == label)]
        n_val = int(round(validation_fraction * len(train)))
        table.loc[rng.choice(train, size=n_val, replace=False), "split"] = "validation"
    return table.sort_values(["split", "label", "file"], ignore_index=True)


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
