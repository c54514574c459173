"""Settings of the continuation study that the schema cannot judge and that would otherwise fail
only inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""

import math


def problems(section, config=None):
    """One message per setting of ``section`` (config["continuation"]) that cannot work."""
    out = []
    fractions = section["split"]["fractions"]
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):  # as data.contiguous_split takes it
        out.append(f"config key continuation.split.fractions: {fractions} add to "
                   f"{sum(fractions):.10g}; train, valid and test shares must add to 1")
    elif min(fractions[:2]) <= 0:
        out.append(f"config key continuation.split.fractions: {fractions}: the train and valid "
                   "shares must be above 0")
    else:
        out += _length_problems(section)
    drift, rate = section["drift"], section["audio"]["rate"]
    low, high = drift["percentiles"]
    if not low < high:
        out.append(f"config key continuation.drift.percentiles: [{low}, {high}]; give [low, high] "
                   "with low < high")
    if drift["n_fft"] > rate:
        out.append(f"config key continuation.drift.n_fft: {drift['n_fft']} samples is longer than "
                   f"the one second ({rate} samples, continuation.audio.rate) each spectrum is "
                   "taken over")
    seconds = section["generation"]["seconds"]
    if seconds < drift["consecutive"]:
        out.append(f"config key continuation.generation.seconds: {seconds:g} s of generated audio "
                   f"cannot hold the {drift['consecutive']} seconds in a row "
                   "(continuation.drift.consecutive) that make a drift: it could never be found")
    return out


def _length_problems(section):
    """The generated recording too short for one training and one validation sequence."""
    from .data import minimum_samples

    model, rate = section["model"], section["audio"]["rate"]
    if section["source"]["kind"] != "synthetic":
        return []  # a recording's length is known only once converted (audio.short_recordings)
    need = minimum_samples(model["frame"], model["seq_len"], section["split"]["fractions"])
    seconds = section["synthetic"]["seconds"]
    if int(round(seconds * rate)) < need:
        return [f"config key continuation.synthetic.seconds: {seconds:g} s is too short for one "
                f"sequence (continuation.model.seq_len x frame, {model['seq_len']} x "
                f"{model['frame']} samples) in both the training and the validation part "
                f"(continuation.split.fractions): give at least {need / rate:g} s"]
    return []
