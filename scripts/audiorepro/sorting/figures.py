"""Every figure and sound of "Sorting Audio", one function each.

``FIGURES`` maps each output file to the function that draws it, in the order the notebook
draws them (through ``audiorepro.plots.Drawer``; the rules read the same names). Figures return
a matplotlib Figure; a sound's function takes ``path`` and writes its mp3 there
(``audiorepro.audio.write_mp3``) from the int16 samples of :func:`shuffled_unshuffled` or
:func:`excerpt`.
"""

import numpy as np

from .. import plots  # noqa: F401  (selects the Agg backend before pyplot is imported)
import matplotlib.pyplot as plt  # noqa: E402
from ..audio import to_float, to_int16, write_mp3
from ..errors import InputError
from . import data
from .synth import tone_period

COLOURS = plt.get_cmap("tab10").colors


def _as_float(x):
    x = np.asarray(x)
    return to_float(x, np.float64)


def jigsaw_sampling(songs, *, chunk_len, pad_range, n_chunks=3, pad_mode="random_per_gap", seed=0,
                    rate=16000, song=0):
    """How one sample is cut, drawn from a real song: top, the waveform around the sample with a
    coloured box per chunk (numbered in song order) and the pads hatched; bottom, the chunks as
    the network gets them (shuffled), with the label that puts them back."""
    songs = data.as_songs(songs)
    rng = np.random.default_rng(seed)
    draws = data.draw_samples(songs, 1, n_chunks, chunk_len, pad_mode, pad_range, rng,
                              song_ids=[song])
    x, label = data.cut(songs, draws)
    starts = draws.chunk_starts()[0]
    span = int(draws.spans()[0])
    margin = max(chunk_len // 2, 1)
    lo = max(int(starts[0]) - margin, 0)
    hi = min(int(starts[0]) + span + margin, int(songs.lengths[draws.song[0]]))
    wave = _as_float(songs.song(draws.song[0])[lo:hi])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.5))
    t_ms = 1000.0 * (np.arange(lo, hi)) / rate
    top.plot(t_ms, wave, color="0.3", linewidth=0.6)
    peak = max(np.abs(wave).max(), 1e-3) * 1.1
    for k, s in enumerate(starts):
        a, b = 1000.0 * s / rate, 1000.0 * (s + chunk_len) / rate
        top.axvspan(a, b, color=COLOURS[k % 10], alpha=0.25)
        top.text((a + b) / 2, peak * 0.9, f"chunk {k}", ha="center", va="top", fontsize=9)
        if k + 1 < n_chunks:
            top.axvspan(b, 1000.0 * starts[k + 1] / rate, facecolor="none", hatch="///",
                        edgecolor="0.5", linewidth=0)
            top.text((b + 1000.0 * starts[k + 1] / rate) / 2, -peak * 0.9,
                     f"pad {int(draws.pads[0, k])}", ha="center", va="bottom", fontsize=8)
    top.set(ylim=(-peak, peak), xlabel="time in the song (ms)", ylabel="amplitude",
            title=f"{songs.names[draws.song[0]]}: {n_chunks} chunks of {chunk_len} samples, "
                  f"pads {pad_mode} in [{pad_range[0]}, {pad_range[1]}] samples")
    order = np.argsort(label[0])  # shuffled place p holds chunk order[p]
    for p, k in enumerate(order):
        u = p * (chunk_len + margin // 2) + np.arange(chunk_len)
        bottom.plot(u, x[0, p], color=COLOURS[k % 10], linewidth=0.6)
        bottom.text(u.mean(), peak * 0.9, f"place {p}: chunk {k}", ha="center", va="top",
                    fontsize=9)
    bottom.set(ylim=(-peak, peak), xticks=[], ylabel="amplitude",
               title=f"shuffled as the network gets them; label = {label[0].tolist()} "
                     "(place k takes shuffled chunk label[k])")
    fig.tight_layout()
    return fig


def sin_wave(frequency=440.0, rate=16000, cycles=3):
    """The sine wave of the tone control: the continuous 440 Hz wave, the samples of the tiled
    whole-sample cycle (36 samples at 16 kHz, so 444.4 Hz), and where each cycle starts."""
    period = tone_period(rate, frequency)
    n = cycles * period
    t = np.linspace(0.0, n / rate, 40 * n)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(1000 * t, np.sin(2 * np.pi * frequency * t), color="0.6", linewidth=1,
            label=f"{frequency:g} Hz sine")
    k = np.arange(n)
    ax.plot(1000 * k / rate, np.sin(2 * np.pi * (k % period) / period), "o", markersize=3,
            color="tab:blue", label=f"tiled {period}-sample cycle ({rate / period:.1f} Hz)")
    for c in range(cycles + 1):
        ax.axvline(1000 * c * period / rate, color="tab:red", linewidth=0.6, linestyle=":")
    ax.set(xlabel="time (ms)", ylabel="amplitude",
           title="a sine wave repeats: which piece is first?")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def shuffled_unshuffled(song, rate, n_chunks=20, chunk_seconds=0.2, pad_seconds=0.005, seed=0):
    """The post's listening example: ``n_chunks`` chunks of ``chunk_seconds`` with fixed pads of
    ``pad_seconds`` cut from ``song``; returns (shuffled, unshuffled) int16 samples, the chunks
    joined end to end (the pads left out) in shuffled and in song order."""
    chunk_len, pad = data.samples_of(chunk_seconds, rate), data.samples_of(pad_seconds, rate)
    x, label, _ = data.jigsaw_sample(data.as_songs([np.asarray(song)]), 1, n_chunks, chunk_len,
                                     "fixed", (pad, pad), np.random.default_rng(seed))
    back = data.restore_order(x, label)
    return to_int16(x[0].reshape(-1)), to_int16(back[0].reshape(-1))


def excerpt(signal, rate, seconds, start=0.0):
    """``seconds`` of ``signal`` from ``start`` as int16 (the static.mp3 and tone.mp3 excerpts)."""
    a = data.samples_of(start, rate)
    b = a + data.samples_of(seconds, rate)
    if b > len(signal):
        raise InputError("seconds", f"excerpt ends at sample {b}, past the signal's {len(signal)}")
    x = np.asarray(signal[a:b])
    return x.copy() if x.dtype == np.int16 else to_int16(x)


def shuffled(song, rate, n_chunks=20, chunk_seconds=0.2, pad_seconds=0.005, seed=0, *, path):
    """shuffled.mp3: the listening example's chunks in shuffled order
    (:func:`shuffled_unshuffled`), written to ``path``."""
    samples, _ = shuffled_unshuffled(song, rate, n_chunks, chunk_seconds, pad_seconds, seed)
    write_mp3(path, samples, rate)
    return path


def unshuffled(song, rate, n_chunks=20, chunk_seconds=0.2, pad_seconds=0.005, seed=0, *, path):
    """unshuffled.mp3: the same chunks as :func:`shuffled`, put back in song order."""
    _, samples = shuffled_unshuffled(song, rate, n_chunks, chunk_seconds, pad_seconds, seed)
    write_mp3(path, samples, rate)
    return path


def excerpt_mp3(signal, rate, seconds, start=0.0, *, path):
    """static.mp3 and tone.mp3: :func:`excerpt` of a control signal, written to ``path``."""
    write_mp3(path, excerpt(signal, rate, seconds, start), rate)
    return path


def _errorbars(ax, x, rows, **style):
    yerr = np.vstack([rows.accuracy - rows.ci_low, rows.ci_high - rows.accuracy])
    ax.errorbar(x, rows.accuracy, yerr=yerr, marker="o", markersize=4, capsize=3, **style)


def grid_accuracy(table):
    """Accuracy against chance over the grid: one panel per data set, accuracy (with its 95 %
    interval) against the number of chunks, one line per sample length, pad mode and protocol,
    chance 1/n dashed."""
    order = ["music", "noise", "tone", "sine"]
    datasets = sorted(dict.fromkeys(table.dataset), key=lambda d: (d not in order, order.index(d)
                                                                   if d in order else 0, d))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.8), squeeze=False,
                             sharey=True)
    for ax, name in zip(axes[0], datasets):
        rows = table[table.dataset == name]
        ns = np.array(sorted(rows.n_chunks.unique()))
        ax.plot(ns, 1.0 / ns, "k--", marker="_", markersize=20, linewidth=1, label="chance 1/n")
        groups = rows.groupby(["sample_length", "pad_mode", "protocol", "encoding"], sort=True)
        for i, ((length, mode, protocol, encoding), g) in enumerate(groups):
            g = g.sort_values("n_chunks")
            shift = 0.04 * (i - (groups.ngroups - 1) / 2)
            _errorbars(ax, g.n_chunks + shift, g, color=COLOURS[i % 10],
                       linestyle="-" if protocol == "clean" else ":",
                       label=f"{length:g} s, {mode}, {protocol}, e{encoding}")
        ax.set(title=name, xlabel="chunks n", xticks=ns, ylim=(0, 1.02),
               xlim=(ns.min() - 0.5, ns.max() + 0.5))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="upper right")
    axes[0][0].set_ylabel("per-place accuracy (95 % interval)")
    fig.tight_layout()
    return fig


def controls(table, datasets=("noise", "tone", "sine")):
    """The controls: for noise and the tone(s), accuracy per number of chunks with random pads
    per gap against one random pad per sample (constant), 95 % intervals, chance marked."""
    datasets = [d for d in datasets if d in set(table.dataset)]
    if not datasets:
        raise InputError("table", "holds no control runs (noise, tone, sine)")
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.8), squeeze=False,
                             sharey=True)
    for ax, name in zip(axes[0], datasets):
        rows = table[table.dataset == name]
        ns = np.array(sorted(rows.n_chunks.unique()))
        modes = [m for m in data.PAD_MODES if m in set(rows.pad_mode)]
        width = 0.8 / len(modes)
        for j, mode in enumerate(modes):
            g = rows[rows.pad_mode == mode].groupby("n_chunks").agg(
                accuracy=("accuracy", "mean"), ci_low=("ci_low", "min"), ci_high=("ci_high", "max"))
            if g.empty:
                continue
            pos = np.searchsorted(ns, g.index.to_numpy()) + (j - (len(modes) - 1) / 2) * width
            yerr = np.vstack([g.accuracy - g.ci_low, g.ci_high - g.accuracy])
            ax.bar(pos, g.accuracy, width, yerr=yerr, capsize=3,
                   color=COLOURS[data.PAD_MODES.index(mode)], label=mode)
        for i, n in enumerate(ns):
            ax.hlines(1.0 / n, i - 0.45, i + 0.45, colors="k", linestyles="--", linewidth=1)
        ax.set(title=name, xlabel="chunks n", xticks=np.arange(len(ns)), xticklabels=ns,
               ylim=(0, 1.02), xlim=(-0.6, max(len(ns), 2) - 0.4))
        ax.legend(fontsize=7, loc="upper right")
    axes[0][0].set_ylabel("per-place accuracy (dashed: chance)")
    fig.tight_layout()
    return fig


FIGURES = {
    "jigsaw_sampling.png": jigsaw_sampling,
    "sin_wave.png": sin_wave,
    "shuffled.mp3": shuffled,
    "unshuffled.mp3": unshuffled,
    "static.mp3": excerpt_mp3,
    "tone.mp3": excerpt_mp3,
    "grid_accuracy.png": grid_accuracy,
    "controls.png": controls,
}
