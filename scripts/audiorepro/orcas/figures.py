"""The orcas figures and unit tracks (each figure function returns a matplotlib Figure).

The notebook ``reports/orcas.ipynb`` draws each figure under its name in :data:`FIGURES` through
:class:`audiorepro.plots.Drawer`; the rule file and the tests read the same names. The unit
tracks (:func:`activation_wav_names`) are written beside them by :func:`write_activation_wavs`.
"""

import textwrap
from pathlib import Path

import numpy as np

from .. import plots
from ..audio import to_int16, write_audio
from ..errors import InputError
from ..synth import stft_power
from .data import Geometry, to_float
from .evaluate import intervals


def activation_wav_names(k):
    """``activation_unit1.wav`` .. ``activation_unit<k>.wav``: the tracks of the ``k`` units
    ranked first (by whistle correlation, or by activation variance without annotations: the
    metrics' ``ranking_by``); the rank is in the name, the unit index in the metrics."""
    return [f"activation_unit{i}.wav" for i in range(1, int(k) + 1)]


def scale_track(values):
    """A unit's track scaled linearly to [-1, 1] (its minimum to -1, its maximum to 1; a
    constant track to 0)."""
    values = np.asarray(values, float)
    lo, hi = (values.min(), values.max()) if len(values) else (0.0, 0.0)
    if hi <= lo:
        return np.zeros_like(values)
    return 2.0 * (values - lo) / (hi - lo) - 1.0


def write_activation_wavs(out_dir, activations, ranking, k, outputs_per_second, hold=1):
    """Write the tracks of units ``ranking[:k]`` as ``activation_unit<rank>.wav`` into
    ``out_dir``: each scaled to [-1, 1], 16-bit mono. Each scan output is held for ``hold``
    samples, so the rate is ``outputs_per_second * hold``: with ``hold`` = samples per output
    (16) the track has the recording's rate (16 kHz) and lines up with it sample by sample; with
    ``hold=1`` it is one WAV sample per output (1000 Hz), which browsers refuse to play.
    Returns the paths.
    """
    paths = []
    for name, unit in zip(activation_wav_names(k), ranking[:k]):
        path = Path(out_dir) / name
        track = np.repeat(scale_track(np.asarray(activations)[:, unit]), int(hold))
        write_audio(path, to_int16(track), int(round(outputs_per_second * hold)))
        paths.append(path)
    return paths


def _spectrogram(ax, audio, rate, max_hz, n_fft=512):
    hop = n_fft // 4
    audio = to_float(audio, np.float64)
    power = stft_power(audio, n_fft, hop)
    db = 10 * np.log10(power.T + 1e-12)
    top = min(max_hz, rate / 2)
    bins = int(np.ceil(top / (rate / n_fft))) + 1
    seconds = len(audio) / rate
    vmax = db[:bins].max(initial=-120)
    ax.imshow(db[:bins], origin="lower", aspect="auto", cmap="magma", vmin=vmax - 70, vmax=vmax,
              extent=(0, seconds, 0, bins * rate / n_fft / 1000))
    ax.set_ylim(0, top / 1000)
    ax.set_ylabel("kHz")


def shown_name(name, names=None):
    """A recording as figure titles name it: its path in the source folder (``names``: the
    convert table's {wav: file}, e.g. ``positive/01.wav``), else its converted name; ``$``
    escaped, so that matplotlib draws it as written."""
    return str((names or {}).get(str(name), name)).replace("$", r"\$")


def stretch(audio, activations, units, truth, file, start, end, title=None,
            geometry=Geometry()):
    """One column of :func:`whistles_figure`: the audio of ``file`` (its whole 1-D samples) and
    its scan (``activations``, (outputs, units), made with ``geometry``) cut to [start, end)
    seconds, the tracks of ``units``, and the whistles of the annotations ``truth`` inside
    (None: no annotations, no whistle), in seconds from ``start``."""
    rate = geometry.rate
    times = geometry.output_times(len(activations))
    chosen = (times >= start) & (times < end)
    spans = intervals(truth, file, "whistle") if truth is not None else []
    if title is None:
        title = f"{shown_name(file)} {start:.1f}-{end:.1f} s"
    return {"title": title,
            "audio": np.asarray(audio)[int(start * rate):int(end * rate)],
            "tracks": np.asarray(activations)[chosen][:, list(units)],
            "times": times[chosen] - start,
            "whistles": [(max(a, start) - start, min(b, end) - start) for a, b in spans
                         if b > start and a < end]}


def whistles_figure(stretches, unit_labels, rate=16000, max_hz=8000, title=None):
    """The published figure's layout: one column per stretch (whistles left, speech right
    where speech is annotated),
    each a 0-``max_hz`` spectrogram with one unit track under it per unit.

    ``stretches``: list of dicts with ``title``, ``audio`` (1-D samples at ``rate``), ``tracks``
    ((outputs, units) activations of the chosen units over that stretch), ``times`` (seconds
    from the stretch start of each output) and optionally ``whistles`` ([(start, end)] seconds
    from the stretch start, shaded under the tracks). ``unit_labels``: one label per track
    (e.g. "LSTM unit 12, r = 0.61").
    """
    import matplotlib.pyplot as plt

    n_units = len(unit_labels)
    fig, axes = plt.subplots(1 + n_units, len(stretches), squeeze=False,
                             figsize=(6.5 * len(stretches), 3 + 1.3 * n_units), sharex="col",
                             gridspec_kw={"height_ratios": [2.5] + [1] * n_units})
    for col, stretch in enumerate(stretches):
        _spectrogram(axes[0, col], stretch["audio"], rate, max_hz)
        axes[0, col].set_title(stretch.get("title", ""))
        tracks = np.asarray(stretch["tracks"], float).reshape(len(stretch["times"]), -1)
        for row in range(n_units):
            ax = axes[1 + row, col]
            for s, e in stretch.get("whistles", ()):
                ax.axvspan(s, e, color="tab:orange", alpha=0.2, linewidth=0)
            ax.plot(stretch["times"], tracks[:, row], linewidth=0.5, color=f"C{row}")
            ax.set_ylabel(unit_labels[row], fontsize=8)
        axes[-1, col].set_xlabel("seconds")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def loss_curves_figure(histories, column="loss", xlabel="epoch (one set of segments)"):
    """Training loss per epoch, one curve per network: ``histories`` is {label: DataFrame or
    list of dicts with ``column``}."""
    series = {label: [row[column] for row in h] if isinstance(h, list) else np.asarray(h[column])
              for label, h in histories.items()}
    return plots.curves(series, "Next-sample cross-entropy: LSTM against the baseline",
                        xlabel=xlabel, ylabel="loss (nats)")


def correlation_figure(correlations, threshold=None, highlight=None, spread=None):
    """Every unit's correlation with whistle presence, one panel per network.

    ``correlations``: {label: per-unit correlations (None or NaN where unmeasured)};
    ``highlight``: {label: units to mark (the top ones)}; ``threshold``: dashed lines at
    +-threshold. A panel with no correlation at all (no annotations) shows each unit's
    activation spread from ``spread`` ({label: per-unit std}) instead, and says so.
    """
    import matplotlib.pyplot as plt

    highlight, spread = highlight or {}, spread or {}
    fig, axes = plt.subplots(len(correlations), 1, figsize=(9, 2.6 * len(correlations)),
                             squeeze=False)
    for ax, (label, r) in zip(axes[:, 0], correlations.items()):
        r = np.asarray(r, float)
        unmeasured = len(r) > 0 and bool(np.all(np.isnan(r)))
        values = np.asarray(spread.get(label, np.zeros(len(r))), float) if unmeasured else (
            np.nan_to_num(r))
        colours = np.where(values >= 0, "tab:blue", "tab:red").astype(object)
        for u in highlight.get(label, ()):
            colours[u] = "black"
        ax.bar(np.arange(len(values)), values, color=list(colours),
               width=0.8 if len(values) <= 128 else 1.0)
        ax.set_xlim(-1, len(values))
        best = int(np.argmax(np.abs(values))) if len(values) else 0
        if unmeasured:
            ax.set(title=f"{label}: {len(values)} units, no annotations: no correlation with "
                         f"whistles; activation spread instead (top unit {best})",
                   xlabel="unit", ylabel="activation std",
                   ylim=(0, max(float(values.max(initial=0)) * 1.1, 1e-6)))
            continue
        if threshold is not None:
            for y in (threshold, -threshold):
                ax.axhline(y, color="grey", linestyle="--", linewidth=0.8)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set(title=f"{label}: {len(values)} units, best |r| = "
                     f"{abs(values[best]) if len(values) else 0:.2f} (unit {best})",
               xlabel="unit", ylabel="r with whistles", ylim=(-1, 1))
    fig.tight_layout()
    return fig


def figure_stretches(scans, truth, open_audio, units, seconds, geometry=Geometry(), names=None):
    """The columns of the whistles figure, each ``seconds`` long with the tracks of ``units``:
    the stretch of a held-out recording with whistles, no speech, and background on both sides
    (its first and last quarter free of whistles where a recording has such a stretch: a unit
    is seen responding against background), and, where the held-out recordings have speech
    annotated, the one most full of speech and free of whistles (none without: a background
    column would not be speech). ``scans``: {recording: (outputs, units)};
    ``open_audio(recording)`` returns its samples; ``geometry``: the scans' (and the audio's
    rate); ``names`` (:func:`shown_name`) for titles."""
    from .evaluate import intervals, pick_stretch

    kinds = [("whistle", "speech", seconds / 4)]
    if any(len(intervals(truth, name, "speech")) for name in scans):
        kinds.append(("speech", "whistle", 0.0))
    columns = []
    for kind, other, margin in kinds:
        best = None
        for name in sorted(scans):
            audio = open_audio(name)
            start, end, key = pick_stretch(truth, name, kind, seconds,
                                           len(audio) / geometry.rate, avoid=(other,),
                                           margin=margin, with_key=True)
            if best is None or key > best[0]:
                best = (key, name, start, end, audio)
        _, name, start, end, audio = best
        columns.append(stretch(audio, scans[name], units, truth, name, start, end,
                               title=f"{kind}: {shown_name(name, names)} {start:.1f}-{end:.1f} s",
                               geometry=geometry))
    return columns


def activity_stretches(scans, open_audio, units, seconds, geometry=Geometry(), names=None):
    """Without annotations, the two columns of the whistles figure: the ``seconds``-long
    stretches of the held-out recordings where the first of ``units`` is highest and lowest on
    average, each with the tracks of ``units`` (no whistle marked). Arguments as
    :func:`figure_stretches`."""
    per_second = geometry.outputs_per_second
    width = max(int(round(seconds * per_second)), 1)
    found = {}  # "highest"/"lowest": (mean, name, start, end)
    for name in sorted(scans):
        track = np.asarray(scans[name], float)[:, units[0]]
        if len(track) == 0:
            continue
        times = geometry.output_times(len(track))
        w = min(width, len(track))
        total = np.concatenate([[0.0], np.cumsum(track)])
        means = (total[w:] - total[:-w]) / w
        for side, pick in (("highest", np.argmax), ("lowest", np.argmin)):
            i = int(pick(means))
            value = means[i] if side == "highest" else -means[i]
            if side not in found or value > found[side][0]:
                start = float(times[i]) - 0.5 / per_second if i else 0.0  # outputs i..i+w-1
                found[side] = (value, name, start, float(times[i]) + (w - 0.5) / per_second)
    if not found:
        raise InputError("scans", "no held-out recording is long enough for one scan output")
    columns = []
    for side in ("highest", "lowest"):
        _, name, start, end = found[side]
        columns.append(stretch(open_audio(name), scans[name], units, None, name, start, end,
                               title=f"unit {units[0]} {side}: {shown_name(name, names)} "
                                     f"{start:.1f}-{end:.1f} s",
                               geometry=geometry))
    return columns


def whistles_columns(network, metrics, scans, truth, open_audio, seconds, geometry=Geometry(),
                     names=None):
    """Everything :func:`whistles_figure` needs for ``network``'s first two ranked units:
    (columns, unit labels, title). With whistle annotations, the stretches of
    :func:`figure_stretches` (whistles shaded; a title saying so when no speech is annotated);
    without, the stretches where the first unit is highest and lowest, nothing marked, and a
    title that says there are no annotations. ``geometry``: the scans'; ``names``: {wav: file}
    (:func:`shown_name`)."""
    units = metrics["ranking"][:2]
    if metrics.get("best_unit") is not None:
        columns = figure_stretches(scans, truth, open_audio, units, seconds, geometry, names)
        labels = [f"{network} unit {u}\nr = {metrics['correlations'][u]:.2f}" for u in units]
        title = None if len(columns) > 1 else (
            "no speech annotated in the held-out recordings: no speech column; the whistles "
            "against the background around them")
        return columns, labels, title
    columns = activity_stretches(scans, open_audio, units, seconds, geometry, names)
    labels = [f"{network} unit {u}\nstd = {metrics['activation_std'][u]:.3g}" for u in units]
    why = metrics.get("not_measured", {}).get("best_unit", "no annotations")
    why = "no annotations" if why.startswith("no annotations") else f"no annotations to use: {why}"
    title = f"{why}; nothing marked, {network} units ranked by activation variance"
    return columns, labels, textwrap.fill(title, 110)


# the notebook's figures, by file name, in the order it draws them (the unit tracks, written by
# write_activation_wavs, are outputs beside them)
FIGURES = {
    "whistles.png": whistles_figure,
    "loss_curves.png": loss_curves_figure,
    "unit_whistle_correlation.png": correlation_figure,
}
