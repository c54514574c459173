"""Every figure of "Using DIGITS with audio data", one function each, plus the ROC curves.

The notebook ``reports/whales.ipynb`` draws each under its name in :data:`FIGURES` through
:class:`audiorepro.plots.Drawer`; the rule file and the tests read the same names.
``lr_sweep.csv`` (:data:`SWEEP_TABLE`, the model list as a table) is made by the rule
``whales_sweep`` from every sweep member's metrics, before the notebook runs.
"""

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np

from ..stats import roc_auc
from .evaluate import roc_curve
from .spectrogram import NFFT, NOVERLAP

SWEEP_TABLE = "lr_sweep.csv"
NAMES = {0: "not-whale", 1: "whale"}


def clip_specgram(samples):
    """A clip's spectrogram as the notebook plotted it: matplotlib's specgram, Greys_r."""
    fig, ax = plt.subplots()
    _, _, _, image = ax.specgram(samples, NFFT=NFFT, noverlap=NOVERLAP, cmap="Greys_r")
    fig.colorbar(image).set_label("power (dB)")
    ax.set_xlabel("time")
    ax.set_ylabel("normalized frequency")
    return fig


def network_image(png_path, title):
    """A 30x129 image the networks see, flipped so low frequencies are at the bottom, large."""
    fig = plt.figure(figsize=(20, 10))
    plt.imshow(np.flipud(mpimg.imread(png_path)), cmap="Greys_r")
    plt.xlabel("time")
    plt.ylabel("normalized frequency")
    plt.title(title)
    plt.tick_params(labelleft=False, labelbottom=False)
    return fig


def class_histogram(counts, protocol):
    """Clips per class in the training and validation sets (``counts``: split x label)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(counts.index))
    for offset, label in zip((-0.2, 0.2), counts.columns):
        bars = ax.bar(x + offset, counts[label], width=0.4, label=NAMES[int(label)])
        ax.bar_label(bars)
    ax.set_xticks(x, counts.index)
    ax.set(ylabel="clips", title=f"class histogram ({protocol} split)")
    ax.legend()
    return fig


def baseline_accuracy(history, name):
    """Training and validation loss and validation accuracy per epoch, as DIGITS plotted them."""
    prefix = "main_" if "main_loss" in history.columns else ""
    epochs = np.arange(1, len(history) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(epochs, history[f"{prefix}loss"], label="loss (train)", color="tab:blue")
    ax.plot(epochs, history[f"val_{prefix}loss"], label="loss (val)", color="tab:green")
    ax.set(xlabel="epoch", ylabel="loss", title=f"{name}: training", xticks=epochs)
    right = ax.twinx()
    right.plot(epochs, 100 * history[f"val_{prefix}accuracy"], label="accuracy (val)",
               color="tab:orange")
    right.set_ylabel("accuracy (%)")
    lines = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    return fig


def model_list(sweep):
    """DIGITS' model list: final validation accuracy of every sweep member, and the table."""
    fig, (ax, tab) = plt.subplots(2, 1, figsize=(9, 3 + 0.45 * len(sweep)),
                                  gridspec_kw={"height_ratios": [2, 1]})
    ax.barh(sweep.model, 100 * sweep.final_validation_accuracy, color="tab:blue")
    ax.axvline(100 * sweep.majority_baseline_accuracy.iloc[0], color="black", linestyle="--",
               label="majority class")
    ax.set(xlabel="validation accuracy (%) after the last epoch", title="models")
    ax.set_xlim(max(0, 100 * sweep.final_validation_accuracy.min() - 10), 100)
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    tab.axis("off")
    cells = [[m, n, f"{lr:g}", f"{e}", f"{100 * a:.2f}", f"{loss:.3f}"] for m, n, lr, e, a, loss in zip(
        sweep.model, sweep.network, sweep.learning_rate, sweep.epochs,
        sweep.final_validation_accuracy, sweep.final_validation_loss)]
    tab.table(cells, colLabels=["name", "network", "base LR", "epochs", "accuracy (val, %)",
                                "loss (val)"], loc="center")
    return fig


def roc(predictions, protocol):
    """ROC curves of every sweep member on the validation clips (``predictions``: {name: frame})."""
    fig, ax = plt.subplots(figsize=(6, 6))
    for name, p in predictions.items():
        fpr, tpr, _ = roc_curve(p.label, p.probability)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc(p.label, p.probability):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           title=f"ROC, validation ({protocol} split)")
    ax.legend(loc="lower right")
    return fig


# the original's file names, in the order the notebook draws them
FIGURES = {
    "train4_specgram.png": clip_specgram,
    "train4.png": network_image,
    "train6.png": network_image,
    "class_histogram.png": class_histogram,
    "baseline_accuracy.png": baseline_accuracy,
    "model_list.png": model_list,
    "roc.png": roc,
}
