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


def replicate_spread(document, keys, title):
    """The spread of a variant's numbers over its seed replicates: one row per key of
    ``keys`` ({dotted key: label}) in the replicates document, each seed's value as a dot, the
    mean as a bar and the 95 % interval over seeds as a line (none where one seed gave it)."""
    metrics = document["metrics"]
    shown = [(key, label) for key, label in keys.items() if key in metrics]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.55 * max(len(shown), 1)))
    for row, (key, label) in enumerate(shown):
        s = metrics[key]
        values = [v for v in s["values"] if v is not None]
        ax.scatter(values, [row] * len(values), color="tab:blue", zorder=3, s=18)
        if s["low"] is not None:
            ax.plot([s["low"], s["high"]], [row, row], color="black", linewidth=1.2)
        if s["mean"] is not None:
            ax.plot([s["mean"]] * 2, [row - 0.25, row + 0.25], color="black", linewidth=2)
    ax.set_yticks(range(len(shown)), [label for _, label in shown])
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    plain = title.replace("$", r"\$")  # a name, never mathtext
    ax.set_title(f"{plain}\n{spread_subtitle(document['seeds'])}", fontsize=9)
    fig.tight_layout()
    return fig


def spread_subtitle(seeds):
    """What the spread figure of ``seeds`` shows: one seed's value, with no interval over seeds
    (one cannot be had), or several seeds' dots, mean and interval."""
    if len(seeds) == 1:
        return f"1 seed ({seeds[0]}): its value; one seed gives no interval over seeds"
    return (f"{len(seeds)} seeds ({', '.join(map(str, seeds))}): dots, mean and 95 % interval "
            "over seeds")
