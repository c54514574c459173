"""Plot helpers the study notebooks share: one look, one way to save."""

import inspect
import re
import string
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


def figure_files(figures, **ranges):
    """The file names a study's ``FIGURES`` ({file name: drawing function}) stands for: a name
    with a ``{field}`` placeholder, e.g. ``activ_{k}.png``, once for every value of ``ranges``'
    field (``k=range(1, 11)``), in the dict's order."""
    names = []
    for name in figures:
        fields = [f for _, f, _, _ in string.Formatter().parse(name) if f]
        if not fields:
            names.append(name)
            continue
        if len(fields) != 1 or fields[0] not in ranges:
            raise ValueError(f"figure name {name!r} needs a range for {fields}")
        names += [name.format(**{fields[0]: v}) for v in ranges[fields[0]]]
    return names


class Drawer:
    """Draws a study's figures into ``fig_dir`` by file name: ``draw(name, *args)`` calls
    ``FIGURES[name]`` (or the placeholder name it matches) and writes what it returns: a
    matplotlib figure as PNG (:func:`save`), a str as text; a function taking ``path`` writes
    the file itself. A name not in ``FIGURES`` is an error at once, and :meth:`check` at the
    end names every expected file the notebook did not draw, so the notebook, the rules (which
    read the same ``FIGURES``) and the tests cannot drift apart."""

    def __init__(self, figures, fig_dir, **ranges):
        self.figures, self.fig_dir = figures, Path(fig_dir)
        self.expected = figure_files(figures, **ranges)
        self.drawn = []

    def function(self, name):
        if name in self.figures:
            return self.figures[name]
        for key, function in self.figures.items():
            pattern = re.escape(key)
            for _, field, _, _ in string.Formatter().parse(key):
                if field:
                    pattern = pattern.replace(re.escape("{" + field + "}"), r"[^/]+")
            if re.fullmatch(pattern, name):
                return function
        raise KeyError(f"{name!r} is not one of this study's figures (FIGURES): "
                       f"{', '.join(self.figures)}")

    def __call__(self, name, *args, **kwargs):
        function, path = self.function(name), self.fig_dir / name
        if "path" in inspect.signature(function).parameters:
            result = function(*args, path=path, **kwargs)
        else:
            made = function(*args, **kwargs)
            result = write_text(path, made) if isinstance(made, str) else save(made, path)
        self.drawn.append(name)
        return result

    def check(self):
        """Raise naming every expected figure file not drawn (and so not written)."""
        missing = [n for n in self.expected if n not in self.drawn]
        if missing:
            raise RuntimeError(f"the notebook did not draw {', '.join(missing)}")
        return self.drawn
