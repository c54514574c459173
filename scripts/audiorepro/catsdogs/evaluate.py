"""catsdogs evaluation: 1-s test segments, the per-clip vote, the examples the figures show, and
the metrics file."""

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .data import segment_table

log = logging.getLogger("audiorepro")


def vote(segment_predictions):
    """Per clip: mean segment probability, its vote (> 0.5) and whether the vote is right."""
    clips = (segment_predictions.groupby(["file", "label"], as_index=False)["probability"].mean())
    clips["vote"] = (clips["probability"] > 0.5).astype(int)
    clips["correct"] = clips["vote"] == clips["label"]
    return clips


def test_segments(test_clips, window, predict):
    """Every test clip cut into 1-s segments and scored by ``predict`` (segments -> P(dog)).

    Returns (segment table with probability and correct, names of the clips shorter than one
    window, which have no segment and therefore no vote: they are logged, never dropped silently,
    and the segments themselves, (n, window)).
    """
    segments, table = segment_table(test_clips, window)
    too_short = sorted(name for name, _, x in test_clips if len(x) < window)
    if too_short:
        log.warning("%d test clip(s) shorter than the %d-sample window have no segment to vote "
                    "on and are counted as unscored: %s", len(too_short), window, ", ".join(too_short))
    table["probability"] = predict(segments) if len(table) else np.zeros(0)
    table["correct"] = (table.probability > 0.5).astype(int) == table.label
    return table, too_short, segments


def pooling_components(pooled, labels, weights):
    """The post's reading of the pooling layer: dogs have a strong component that carries a high
    sigmoid weight, cats' strong components carry low weights.

    ``pooled`` (segments, components) are the global-average-pooling outputs of the test
    segments, ``labels`` their labels, ``weights`` the sigmoid layer's weights. Per component,
    the mean output over dog segments minus that over cat segments; the component most typical
    of dogs and of cats (components numbered from 1) with their weights; ``signs_agree``: the
    share of components whose difference has the sign of its weight.
    """
    pooled, labels = np.asarray(pooled, float), np.asarray(labels)
    weights = np.asarray(weights, float).ravel()
    difference = pooled[labels == 1].mean(0) - pooled[labels == 0].mean(0)
    dog, cat = int(np.argmax(difference)), int(np.argmin(difference))
    return {
        "dog_minus_cat": [round(float(v), 6) for v in difference],
        "sigmoid_weights": [round(float(v), 6) for v in weights],
        "dog_component": dog + 1, "dog_component_weight": float(weights[dog]),
        "cat_component": cat + 1, "cat_component_weight": float(weights[cat]),
        "signs_agree": float(np.mean(np.sign(difference) == np.sign(weights))),
    }


def metrics(protocol, history, table, too_short, split, stats):
    """The study's numbers from the history, the scored segments and the split table: accuracy
    of validation, test segments and clip votes (over every test clip: one too short to be cut
    into a segment counts as not right), the example dog segment the figures show, and how many
    test files are training files too (the original's leak)."""
    history = pd.DataFrame(history)
    dog = pick_examples(table)[0] if (table.label == 1).any() and (table.label == 0).any() else None
    test_files = set(split.file[split.split == "test"])
    train_files = set(split.file[split.split.isin(["train", "validation"])])
    clips = vote(table) if len(table) else table.iloc[0:0].assign(correct=[])
    best_row = history.loc[history.val_accuracy.idxmax()]
    return {
        "study": "catsdogs",
        "protocol": protocol,
        "best_validation_accuracy": float(best_row.val_accuracy),
        "best_epoch": int(best_row.epoch) + 1,  # the history counts from 0
        "final_training_accuracy": float(history.accuracy.iloc[-1]),
        "test_segment_accuracy": float(table.correct.mean()) if len(table) else None,
        "test_segments": int(len(table)),
        # a clip too short to vote on is a test clip all the same: it counts, as not right
        "test_clip_accuracy": (float(clips.correct.sum()) / (len(clips) + len(too_short))
                               if len(clips) + len(too_short) else None),
        "test_clips": int(len(clips) + len(too_short)),
        "test_clips_correct": int(clips.correct.sum()),
        "test_clips_scored": int(len(clips)),
        "test_clips_unscored": too_short,
        "example_dog": None if dog is None else {
            "file": dog.file, "segment": int(dog.segment), "probability": float(dog.probability)},
        "test_files_also_in_training": len(test_files & train_files),
        "validation_accuracy_by_epoch": history.val_accuracy.round(6).tolist(),
        "files": split.groupby("split").size().to_dict(),
        "standardisation": {s: {str(k): v for k, v in d.items()} for s, d in stats.items()},
    }


def pick_examples(segment_predictions):
    """The segments the figures show: (main dog, a second dog from another file, a cat).

    The original showed a dog it called correctly, another dog and a cat; we take the most
    confidently right of each (any of the class where none is right), so the choice is repeatable.
    """
    table = segment_predictions.assign(confidence=np.where(segment_predictions.label == 1,
                                                           segment_predictions.probability,
                                                           1 - segment_predictions.probability))
    table = table.sort_values(["correct", "confidence"], ascending=False, kind="stable")
    dogs, cats = table[table.label == 1], table[table.label == 0]
    if dogs.empty or cats.empty:
        raise InputError("test split", "needs at least one dog and one cat segment for the figures")
    main = dogs.iloc[0]
    others = dogs[dogs.file != main.file]
    second = (others if not others.empty else dogs.iloc[1:] if len(dogs) > 1 else dogs).iloc[0]
    return main, second, cats.iloc[0]


def ablation_summary(base, variants, base_point=None):
    """Claims C4 and C5 from replicates documents (audiorepro.replicates): ``base`` is the
    configured model's, ``variants`` {name: document} the ablations' (``<protocol>-filters<f>``
    and ``<protocol>-k<kernel>s<stride>``). Numbers are means over each variant's seeds.

    ``filters``: per fewer-filter variant (and ``base``), final training and best validation
    accuracy, their gap and the test segment accuracy (C4: "validation was 20 points below
    training, test 68 %"). ``grid``: best validation accuracy per kernel x stride point,
    ``grid_best`` the best point, ``stride2_k45_best`` the better of k4s2 and k5s2 and
    ``others_best`` the best of the rest (C5: "kernel 4 or 5 with stride 2 beat the others").
    ``base_point`` (``k<kernel>s<stride>`` of the configured model) puts ``base`` in the grid.
    """
    def mean(doc, key):
        value = doc["metrics"].get(key, {}).get("mean")
        return None if value is None else float(value)

    def fit(doc):
        train, valid = mean(doc, "final_training_accuracy"), mean(doc, "best_validation_accuracy")
        return {"training": train, "validation": valid,
                "gap": None if train is None or valid is None else train - valid,
                "test_segment_accuracy": mean(doc, "test_segment_accuracy"),
                "seeds": doc["seeds"]}

    filters = {"base": fit(base)}
    grid = {}
    for name, doc in variants.items():
        suffix = name.split("-", 1)[1]
        if suffix.startswith("filters"):
            filters[suffix] = fit(doc)
        else:
            grid[suffix] = mean(doc, "best_validation_accuracy")
    if base_point:
        grid.setdefault(base_point, mean(base, "best_validation_accuracy"))
    scored = {k: v for k, v in grid.items() if v is not None}
    favoured = [v for k, v in scored.items() if k in ("k4s2", "k5s2")]
    others = [v for k, v in scored.items() if k not in ("k4s2", "k5s2")]
    return {"filters": filters, "grid": grid,
            "grid_best": max(scored, key=scored.get) if scored else None,
            "stride2_k45_best": max(favoured) if favoured else None,
            "others_best": max(others) if others else None,
            "diverged": bool(base.get("diverged") or any(d.get("diverged") for d in variants.values())),
            "not_measured": {key: f"the grid (catsdogs.ablations) has no {what}" for key, what in
                             (("stride2_k45_best", "kernel 4 or 5 with stride 2"),
                              ("others_best", "point other than kernel 4 or 5 with stride 2"))
                             if not (favoured if key == "stride2_k45_best" else others)}}


def ablation_summary_of_files(base, variants, names, model):
    """:func:`ablation_summary` of replicates files: ``base`` the configured model's,
    ``variants`` the ablations' (named ``names``, in the same order); ``model`` the configured
    model's settings (``catsdogs.model``), whose kernel and stride make its grid point."""
    def read(path):
        return json.loads(Path(path).read_text())

    variants = dict(zip(names, map(read, variants)))
    return ablation_summary(read(base), variants,
                            base_point=f"k{model['kernel_size']}s{model['strides']}")
