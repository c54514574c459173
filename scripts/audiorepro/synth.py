"""Signal primitives for the synthetic ("embedded") data sets.

Everything here is plain vectorised numpy on float64 arrays in [-1, 1]-ish units: the leading axes
of an argument broadcast, so one call can synthesise a block of clips at once (shape (clips,
samples)). Nothing here knows about any study; the generators ``synth_<study>.py`` compose these.
Randomness always comes from a numpy ``Generator`` passed in, so output is reproducible.
"""

import io

import numpy as np
import soundfile

from .errors import InputError

NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


# --- levels --------------------------------------------------------------------------------------


def db_to_amplitude(db):
    """Amplitude ratio for a level in dB (20 log10 convention)."""
    return 10.0 ** (np.asarray(db, dtype=float) / 20.0)


def amplitude_to_db(amplitude, floor=1e-12):
    """Level in dB of an amplitude ratio, with a floor so silence gives a finite number."""
    return 20.0 * np.log10(np.maximum(np.asarray(amplitude, dtype=float), floor))


def rms(x, axis=-1, mask=None):
    """Root-mean-square along ``axis``; with ``mask``, only over the samples where it is true."""
    x = np.asarray(x, dtype=float)
    if mask is None:
        return np.sqrt(np.mean(x * x, axis=axis))
    mask = np.broadcast_to(mask, x.shape)
    count = np.maximum(mask.sum(axis=axis), 1)
    return np.sqrt(np.sum(np.where(mask, x * x, 0.0), axis=axis) / count)


def normalise_rms(x, target=1.0, axis=-1):
    """Scale ``x`` so that its RMS along ``axis`` is ``target`` (all-zero rows stay zero)."""
    level = rms(x, axis=axis)
    scale = np.where(level > 0, target / np.where(level > 0, level, 1.0), 0.0)
    return x * np.expand_dims(scale, axis)


def normalise_peak(x, target=1.0, axis=-1):
    """Scale ``x`` so that its largest absolute sample along ``axis`` is ``target``."""
    peak = np.max(np.abs(x), axis=axis)
    scale = np.where(peak > 0, target / np.where(peak > 0, peak, 1.0), 0.0)
    return x * np.expand_dims(scale, axis)


def mix_at_snr(signal, noise, snr_db, signal_mask=None):
    """Add ``signal`` to ``noise`` scaled so that signal power / noise power is ``snr_db``.

    The signal's power is measured where ``signal_mask`` is true (its support: a call that fills
    a tenth of a clip is not ten times quieter than itself), the noise's over the whole clip.
    ``snr_db`` broadcasts over the leading axes. Returns (mixture, gain applied to the signal).
    """
    snr_db = np.asarray(snr_db, dtype=float)
    p_signal = rms(signal, mask=signal_mask)
    p_noise = rms(noise)
    gain = np.where(
        p_signal > 0, p_noise * db_to_amplitude(snr_db) / np.maximum(p_signal, 1e-30), 0
    )
    return noise + signal * gain[..., None], gain


# --- noise ---------------------------------------------------------------------------------------


def spectral_shape(x, rate, gain_of_frequency):
    """Filter ``x`` along its last axis by multiplying its spectrum by ``gain_of_frequency(f)``.

    ``gain_of_frequency`` gets the rfft bin frequencies in Hz (shape (bins,)) and returns gains that
    broadcast against the spectrum (so a per-clip gain of shape (clips, bins) works too). The
    filter is zero-phase and circular, which is harmless for stationary noise.
    """
    n = x.shape[-1]
    size = fast_fft_length(n)  # a prime length can make the FFT a hundred times slower
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    spectrum = np.fft.rfft(x, n=size, axis=-1) * gain_of_frequency(freqs)
    return np.fft.irfft(spectrum, n=size, axis=-1)[..., :n]


def fast_fft_length(n):
    """The smallest length >= ``n`` whose only prime factors are 2, 3 and 5."""
    n = max(int(n), 1)
    best = 1 << (n - 1).bit_length()
    odd5 = 1
    while odd5 < best:
        odd = odd5
        while odd < best:
            # smallest power of two p with odd * p >= n, i.e. p >= ceil(n / odd)
            best = min(best, odd << ((n - 1) // odd).bit_length())
            odd *= 3
        odd5 *= 5
    return best


def coloured_noise(rng, shape, colour="white", rate=1.0, low_hz=None):
    """Gaussian noise of power spectrum 1/f**exponent, unit RMS along the last axis.

    ``colour`` is "white" (0), "pink" (1), "brown" (2) or an exponent; an array of exponents of
    shape ``shape[:-1]`` gives one colour per row. ``low_hz`` (default: one bin) is where the
    1/f rise stops, so that the DC end does not swamp everything.
    """
    shape = tuple(np.atleast_1d(shape))
    exponent = np.asarray(
        NOISE_EXPONENTS.get(colour, colour) if isinstance(colour, str) else colour
    )
    white = rng.standard_normal(shape)
    if np.all(exponent == 0):
        return normalise_rms(white)
    floor = low_hz if low_hz is not None else rate / shape[-1]
    exponent = exponent[..., None] if exponent.ndim else exponent

    def gain(freqs):
        return np.maximum(freqs, floor) ** (-exponent / 2.0)

    return normalise_rms(spectral_shape(white, rate, gain))


def band_noise(rng, shape, rate, low_hz, high_hz, slope=1.0):
    """Unit-RMS Gaussian noise confined to [low_hz, high_hz] with smooth (raised-cosine) edges.

    ``slope`` widens the edges by that fraction of the band width. ``low_hz``/``high_hz`` may be
    arrays of shape ``shape[:-1]``.
    """
    low = np.asarray(low_hz, dtype=float)[..., None]
    high = np.asarray(high_hz, dtype=float)[..., None]
    edge = np.maximum(slope * (high - low) * 0.25, 1.0)

    def gain(freqs):
        rise = np.clip((freqs - (low - edge)) / edge, 0, 1)
        fall = np.clip(((high + edge) - freqs) / edge, 0, 1)
        return np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2

    shape = tuple(np.atleast_1d(shape))
    return normalise_rms(spectral_shape(rng.standard_normal(shape), rate, gain))


def band_power(x, rate, low_hz, high_hz):
    """Mean power of ``x`` (last axis time) that falls between ``low_hz`` and ``high_hz``.

    By Parseval, from the rfft; the band edges broadcast over leading axes (one band per clip).
    """
    n = x.shape[-1]
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spectrum = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    weight = np.where((freqs == 0) | (2 * freqs == rate), 1.0, 2.0)  # one-sided spectrum
    inside = (freqs >= _column(low_hz)) & (freqs <= _column(high_hz))
    return np.sum(np.where(inside, spectrum * weight, 0.0), axis=-1) / n**2


def resonance_gain(freqs, centres, bandwidths, gains=None):
    """Sum of resonance peaks (formants) evaluated at ``freqs``.

    Each peak is a Lorentzian ``g / (1 + ((f - c) / (b / 2))**2)``; ``centres``, ``bandwidths`` and
    ``gains`` are sequences of the same length (or arrays whose last axis lists the peaks and whose
    leading axes broadcast against ``freqs``).
    """
    freqs = np.asarray(freqs, dtype=float)[..., None]
    centres = np.asarray(centres, dtype=float)
    bandwidths = np.asarray(bandwidths, dtype=float)
    gains = np.ones_like(centres) if gains is None else np.asarray(gains, dtype=float)
    return np.sum(gains / (1.0 + ((freqs - centres) / (0.5 * bandwidths)) ** 2), axis=-1)


# --- tones and contours ---------------------------------------------------------------------------


def phase_of(frequency, rate, phase0=0.0):
    """Instantaneous phase (radians) of a frequency contour in Hz: 2 pi times its running sum."""
    frequency = np.asarray(frequency, dtype=float)
    phase0 = np.asarray(phase0, dtype=float)
    return phase0[..., None] + 2.0 * np.pi * np.cumsum(frequency, axis=-1) / rate


def harmonic_tone(f0, rate, amplitudes, phase0=0.0):
    """Sum of harmonics k = 1..K of the contour ``f0`` (Hz per sample, last axis time).

    ``amplitudes`` has the harmonics on its first axis: shape (K,) for fixed weights, or
    (K, ..., samples) for weights that change over time (a moving spectral envelope). Harmonics
    above Nyquist are silenced sample by sample, so a rising contour never aliases.
    """
    f0 = np.asarray(f0, dtype=float)
    amplitudes = np.asarray(amplitudes, dtype=float)
    phase = phase_of(f0, rate, phase0)
    out = np.zeros(np.broadcast_shapes(f0.shape, amplitudes.shape[1:]))
    for k in range(1, amplitudes.shape[0] + 1):
        out += np.where(k * f0 < 0.5 * rate, amplitudes[k - 1], 0.0) * np.sin(k * phase)
    return out


def sweep_frequency(u, f_start, f_end, kind="linear", curvature=0.0):
    """Frequency (Hz) of a sweep at time fraction ``u`` (0 at its start, 1 at its end).

    ``kind`` "linear" moves at a constant rate in Hz, "exponential" at a constant rate in octaves.
    ``curvature`` bends the sweep: the progress is u + curvature * u * (1 - u) (positive: fast
    first, slow at the end; keep |curvature| <= 1 so the sweep stays monotonic). All arguments
    broadcast.
    """
    u = np.asarray(u, dtype=float)
    f_start = np.asarray(f_start, dtype=float)
    f_end = np.asarray(f_end, dtype=float)
    progress = u + curvature * u * (1.0 - u)
    if kind == "linear":
        return f_start + (f_end - f_start) * progress
    if kind == "exponential":
        return f_start * (f_end / f_start) ** progress
    raise ValueError(f"unknown sweep kind {kind!r}")


def chirp_contour(f_start, f_end, n, kind="linear", curvature=0.0):
    """Frequency contour of ``n`` samples sweeping from ``f_start`` to ``f_end`` (see
    :func:`sweep_frequency`); start, end and curvature broadcast over leading axes."""
    u = np.linspace(0.0, 1.0, int(n))
    return sweep_frequency(u, _column(f_start), _column(f_end), kind, _column(curvature))


def _column(values):
    """Values as an array with a trailing axis of length 1, to broadcast against time."""
    return np.asarray(values, dtype=float)[..., None]


def chirp(f_start, f_end, n, rate, kind="linear", curvature=0.0, phase0=0.0):
    """A unit-amplitude sine sweep (see :func:`chirp_contour`)."""
    return np.sin(phase_of(chirp_contour(f_start, f_end, n, kind, curvature), rate, phase0))


def rise_fall_contour(n, low, peak, peak_at=0.5, end=None, sharpness=1.0):
    """Contour that rises from ``low`` to ``peak`` at fraction ``peak_at`` and falls to ``end``.

    Both halves are raised-cosine ramps; ``sharpness`` > 1 makes the top narrower (a quicker
    excursion), < 1 flatter. ``end`` defaults to ``low``.
    """
    end = low if end is None else end
    u = np.linspace(0.0, 1.0, int(n))
    peak_at = float(np.clip(peak_at, 1e-3, 1 - 1e-3))
    rising = u <= peak_at
    x = np.where(rising, u / peak_at, (1.0 - u) / (1.0 - peak_at))
    bump = (0.5 - 0.5 * np.cos(np.pi * x)) ** sharpness
    return np.where(rising, low + (peak - low) * bump, end + (peak - end) * bump)


def vibrato(contour, rate, depth, speed_hz, phase0=0.0):
    """Multiply a frequency contour by 1 + depth * sin(2 pi speed t): a periodic pitch wobble."""
    t = np.arange(np.shape(contour)[-1]) / rate
    return contour * (1.0 + depth * np.sin(2.0 * np.pi * speed_hz * t + phase0))


def random_walk(rng, n, step_std, smooth=1):
    """Slow random wander (for jitter, drift): a Gaussian random walk, then a moving average."""
    walk = np.cumsum(rng.standard_normal(int(n)) * step_std)
    return moving_average(walk - walk.mean(), smooth) if smooth > 1 else walk - walk.mean()


def moving_average(x, width):
    """Centred moving average along the last axis (edges average the samples available)."""
    width = max(int(width), 1)
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    lo = np.clip(np.arange(n) - width // 2, 0, n)
    hi = np.clip(np.arange(n) + (width - width // 2), 0, n)
    total = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x, axis=-1)], axis=-1)
    return (total[..., hi] - total[..., lo]) / (hi - lo)


# --- envelopes -----------------------------------------------------------------------------------


def attack_decay_envelope(n, rate, attack_s, decay_s, shape="linear"):
    """Envelope that rises over ``attack_s`` and then decays.

    ``shape`` "linear": a raised-cosine rise, a flat top, a raised-cosine fall over ``decay_s``
    at the end. "exponential": the rise, then exp(-t / decay_s) to the end (a percussive sound).
    """
    n = int(n)
    t = np.arange(n) / rate
    attack_s = max(float(attack_s), 1.0 / rate)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / attack_s, 0.0, 1.0))
    if shape == "exponential":
        return rise * np.exp(-np.maximum(t - attack_s, 0.0) / max(float(decay_s), 1.0 / rate))
    if shape != "linear":
        raise ValueError(f"unknown envelope shape {shape!r}")
    decay_s = max(float(decay_s), 1.0 / rate)
    fall = 0.5 - 0.5 * np.cos(np.pi * np.clip((t[-1] - t) / decay_s, 0.0, 1.0))
    return rise * fall


def tukey_envelope(n, taper):
    """Flat-topped window whose ends (``taper`` fraction of ``n`` in all) are raised cosines.

    ``n`` is a sample count; ``taper`` broadcasts, so an array of tapers gives one row each.
    """
    u = np.linspace(0.0, 1.0, int(n))
    half = np.maximum(np.asarray(taper, dtype=float)[..., None] / 2.0, 1e-9)
    edge = np.clip(np.minimum(u, 1.0 - u) / half, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * edge)


def event_time(n, start, length):
    """Time fraction through an event, per sample: (u clipped to [0, 1], inside mask).

    Rows of ``n`` samples; ``start`` and ``length`` (samples) broadcast over leading axes, the
    usual way to place one event per clip in a block of clips.
    """
    start = np.asarray(start, dtype=float)[..., None]
    length = np.maximum(np.asarray(length, dtype=float)[..., None], 1.0)
    u = (np.arange(int(n)) - start) / length
    return np.clip(u, 0.0, 1.0), (u >= 0) & (u <= 1)


def windowed_envelope(n, start, length, taper=0.2):
    """Rows of ``n`` samples holding a Tukey window of ``length`` samples from ``start``, else 0.

    See :func:`event_time` for the arguments; ``taper`` broadcasts too. The event is cut where
    it would run past the end.
    """
    u, inside = event_time(n, start, length)
    half = np.maximum(np.asarray(taper, dtype=float)[..., None] / 2.0, 1e-9)
    edge = np.clip(np.minimum(u, 1.0 - u) / half, 0.0, 1.0)
    return np.where(inside, 0.5 - 0.5 * np.cos(np.pi * edge), 0.0)


# --- placing and measuring ------------------------------------------------------------------------


def place(target, signal, start):
    """Add ``signal`` into the 1-D ``target`` from sample ``start`` on, cutting what overruns."""
    start = int(start)
    stop = min(start + len(signal), len(target))
    if stop > max(start, 0):
        lo = max(start, 0)
        target[lo:stop] += signal[lo - start : stop - start]
    return target


def spectral_flatness(x, n_fft=512, eps=1e-12):
    """Mean spectral flatness (geometric / arithmetic mean of the power spectrum) of ``x``.

    Near 1 for white noise, near 0 for a clean tone: a quick tonal-versus-noisy measure. Frames of
    ``n_fft`` samples, half overlapping, Hann-windowed; frames of digital silence are skipped.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    hop = n_fft // 2
    starts = np.arange(0, len(x) - n_fft + 1, hop)
    frames = x[starts[:, None] + np.arange(n_fft)] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2 + eps
    live = power.sum(axis=-1) > eps * power.shape[-1] * 10
    if not live.any():
        return 1.0
    power = power[live]
    flatness = np.exp(np.mean(np.log(power), axis=-1)) / np.mean(power, axis=-1)
    return float(np.mean(flatness))


def stft_power(x, n_fft=256, hop=128):
    """Power spectrogram (frames, bins) of a 1-D signal: Hann frames, as matplotlib's specgram."""
    x = np.asarray(x, dtype=float)
    starts = np.arange(0, len(x) - n_fft + 1, hop)
    frames = x[starts[:, None] + np.arange(n_fft)] * np.hanning(n_fft)
    return np.abs(np.fft.rfft(frames, axis=-1)) ** 2


# --- files ---------------------------------------------------------------------------------------


def write_pcm16(path, samples, rate, format):
    """Write int16 ``samples`` as a 16-bit PCM file of ``format`` ("WAV", "AIFF"), not atomically.

    For generators that fill a staging folder which is moved into place whole: encoding in memory
    skips libsndfile's per-file fsync, which dominates when writing tens of thousands of clips.
    """
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, subtype="PCM_16", format=format)
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


# --- arguments of the generators -----------------------------------------------------------------


def check_count(name, value, minimum=0):
    """Raise InputError(name, ...) unless ``value`` is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(name, f"must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(name, value, low=-np.inf, high=np.inf, low_open=False):
    """Raise InputError(name, ...) unless ``value`` is a real number in [low, high] (or (low, high]
    with ``low_open``); return it as a float."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a number, got {value!r}") from None
    above_low = number > low if low_open else number >= low
    if isinstance(value, bool) or not (above_low and number <= high):  # NaN fails too
        side = "(" if low_open else "["
        raise InputError(name, f"must lie in {side}{low}, {high}], got {value!r}")
    return number
