"""Plot helpers the study notebooks share: one look, one way to save."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 100


def save(fig, path):
    """Write a figure as PNG (fixed metadata, so the same figure gives the same bytes) and close it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def line_panels(signals, ncols, titles=None, suptitle=None, xlabel=None, figsize=None):
    """One small line plot per signal, in a grid ``ncols`` wide."""
    nrows = int(np.ceil(len(signals) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (5 * ncols, 2.2 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(signals):
            ax.axis("off")
            continue
        ax.plot(signals[i], linewidth=0.6)
        if titles:
            ax.set_title(titles[i], fontsize=9)
        if xlabel and i >= len(signals) - ncols:
            ax.set_xlabel(xlabel)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def bars(values, title, xlabel="component", ylabel="value", labels=None):
    """A bar per value, numbered from 1 as the original's figures number filters."""
    values = np.asarray(values).ravel()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    positions = np.arange(1, len(values) + 1)
    ax.bar(positions, values, color=np.where(values >= 0, "tab:blue", "tab:red"))
    ax.set_xticks(positions, labels if labels is not None else positions)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    fig.tight_layout()
    return fig


def curves(series, title, xlabel="epoch", ylabel=None, legend_loc="best"):
    """Named curves against a shared x axis (epochs from 1): ``series`` is {label: values}."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, values in series.items():
        values = np.asarray(values)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc=legend_loc)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def write_text(path, text):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text if text.endswith("\n") else text + "\n")
    return path
