"""The continuation study's figures and sound, one function each.

The notebook ``reports/continuation.ipynb`` draws each under its file name in :data:`FIGURES`
with :class:`audiorepro.plots.Drawer`; ``generated.wav`` is the generate rule's audio, copied
beside the figures by :func:`copy_generated`.
"""

import shutil
from pathlib import Path

import numpy as np

from .. import plots  # noqa: F401  (selects matplotlib's Agg backend before pyplot loads)
from .evaluate import MEASURES

import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"rms": "RMS", "flatness": "spectral flatness",
          "spectral_distance": "spectral distance (dB)"}
BASELINE_LABELS = {"zero": "predicting zero", "repeat_last": "repeating the last frame"}


def learning_curves(history, title="train and valid MSE", train="loss", valid="val_loss",
                    baselines=None):
    """Train and valid MSE per epoch (epochs from 0, as the original's log), log scale; with
    ``baselines`` (the metrics file's {name: {"valid": MSE, ...}}), each trivial predictor's
    valid MSE as a dashed line: a network below none of them has learned nothing."""
    epochs = history["epoch"] if "epoch" in history else np.arange(len(history))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(epochs, history[train], label="train")
    ax.plot(epochs, history[valid], label="valid")
    for (name, values), colour in zip((baselines or {}).items(), ("tab:gray", "tab:purple")):
        if values.get("valid") is not None:
            ax.axhline(values["valid"], color=colour, linestyle="--", linewidth=0.9,
                       label=f"valid, {BASELINE_LABELS.get(name, name)}")
    ax.set(title=title, xlabel="epoch", ylabel="mean squared error", yscale="log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def original_waveform(samples, start=0, stop=100_000, title="the data, samples 0..100,000"):
    """The first samples of the data against the sample index, as the post's figure."""
    x = np.asarray(samples)[start:stop]
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(np.arange(start, start + len(x)), x, linewidth=0.4)
    ax.set(title=title, xlabel="sample", ylabel="amplitude (int16)")
    fig.tight_layout()
    return fig


def generated_waveform(samples, rate, n_seed_samples, title="seed and generated audio"):
    """The generated file against time, the seed part shaded and the generated part marked."""
    x = np.asarray(samples)
    t = np.arange(len(x)) / rate
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(t, x, linewidth=0.4)
    ax.axvspan(0, n_seed_samples / rate, color="tab:green", alpha=0.12, label="seed (valid data)")
    ax.axvline(n_seed_samples / rate, color="tab:red", linewidth=0.8, label="generation starts")
    ax.set(title=title, xlabel="time (s)", ylabel="amplitude (int16)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def drift(generated, ranges, drift_second=None, title="generated audio against the data's range"):
    """One panel per measure: each generated second (from generation start), the data's range
    as a band, and the drift point as a vertical line."""
    fig, axes = plt.subplots(len(MEASURES), 1, figsize=(7, 2.2 * len(MEASURES)), sharex=True)
    for ax, m in zip(axes, MEASURES):
        ax.axhspan(*ranges[m], color="tab:green", alpha=0.15, label="data (1st-99th pct.)")
        ax.plot(generated["second"], generated[m], marker="o", markersize=3, label="generated")
        if drift_second is not None:
            ax.axvline(drift_second, color="tab:red", linewidth=0.8, label="drift point")
        ax.set_ylabel(LABELS[m])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    axes[0].set_title(title)
    axes[-1].set_xlabel("second of generated audio")
    fig.tight_layout()
    return fig


def copy_generated(wav, path):
    """The generate rule's audio ``wav`` (seed first, as the post did) copied to ``path`` as
    it is: the original's sound, beside its figures."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wav, path)
    return path


# every file the notebook draws, in its order: {file name: the function that draws it}
FIGURES = {
    "learning_curves.png": learning_curves,
    "original_waveform.png": original_waveform,
    "generated_waveform.png": generated_waveform,
    "generated.wav": copy_generated,
    "drift.png": drift,
}
