"""whales evaluation: accuracy, ROC (scikit-learn) and the majority-class baseline."""

import numpy as np
import pandas as pd
from sklearn import metrics as sk

from ..stats import roc_auc
from .data import CLASSES


def roc_curve(y_true, score):
    """(false positive rates, true positive rates, thresholds) at every distinct threshold."""
    fpr, tpr, thresholds = sk.roc_curve(np.asarray(y_true).astype(int),
                                        np.asarray(score, np.float64), drop_intermediate=False)
    return fpr, tpr, thresholds


def evaluate_binary(y_true, prob_positive, threshold=0.5):
    """Accuracy at ``threshold``, ROC AUC, confusion matrix and the majority-class baseline.

    ``confusion`` is [[true negatives, false positives], [false negatives, true positives]].
    """
    y_true = np.asarray(y_true).astype(int)
    prob_positive = np.asarray(prob_positive, np.float64)
    if y_true.shape != prob_positive.shape or y_true.ndim != 1:
        raise ValueError(f"labels {y_true.shape} and probabilities {prob_positive.shape} differ")
    predicted = (prob_positive >= threshold).astype(int)
    confusion = [[int(np.sum((y_true == t) & (predicted == p))) for p in CLASSES] for t in CLASSES]
    positives = int(y_true.sum())
    majority = int(positives * 2 > len(y_true))
    return {
        "n": int(len(y_true)),
        "positives": positives,
        "accuracy": float(np.mean(predicted == y_true)),
        "roc_auc": roc_auc(y_true, prob_positive),
        "confusion": confusion,
        "majority_class": majority,
        "majority_baseline_accuracy": float(np.mean(y_true == majority)),
        "threshold": float(threshold),
    }


def sweep_table(variants, runs, histories):
    """One row per sweep member (DIGITS' model list): final and best validation numbers, ROC AUC,
    epochs and parameters. ``runs`` are the metrics dicts, ``histories`` the history frames."""
    return pd.DataFrame([{
        "model": v, "network": r["net"], "learning_rate": r["learning_rate"],
        "final_validation_accuracy": r["final_validation_accuracy"],
        "final_validation_loss": r["final_validation_loss"],
        "best_validation_accuracy": r["best_validation_accuracy"],
        "roc_auc": r["validation"]["roc_auc"],
        "majority_baseline_accuracy": r["validation"]["majority_baseline_accuracy"],
        "epochs": len(h), "parameters": r["parameters"]["total"],
    } for v, r, h in zip(variants, runs, histories)])


def metrics(protocol, net, rate, history, monitor, predictions, clips):
    """A sweep member's metrics: what DIGITS' model list showed (the last epoch's validation
    numbers), the best epoch, and the saved (best-validation) model on the validation clips.

    ``rate`` is the rule's wildcard (a str: the variant's name keeps its spelling),
    ``history`` the fit's epochs (list of dicts or a frame) with ``monitor`` the validation
    accuracy's column, ``predictions`` the frame ``clip_name, label, probability`` and
    ``clips`` the clip counts ({"train": n, "validation": n})."""
    history = pd.DataFrame(history)
    accuracy = history[monitor]
    loss = history["val_main_loss" if "val_main_loss" in history else "val_loss"]
    best = history.loc[accuracy.idxmax()]
    return {
        "study": "whales", "protocol": protocol, "variant": f"{net}_lr{rate}", "net": net,
        "learning_rate": float(rate),
        "final_validation_accuracy": float(accuracy.iloc[-1]),
        "final_validation_loss": float(loss.iloc[-1]),
        "best_validation_accuracy": float(accuracy.max()),
        "best_epoch": int(best.epoch) + 1,  # the history counts from 0
        "validation_accuracy_by_epoch": [round(float(v), 6) for v in accuracy],
        "validation": evaluate_binary(predictions.label, predictions.probability),
        "clips": clips,
    }
