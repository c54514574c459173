"""Settings of the orcas study that the schema cannot judge and that would otherwise fail only
inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""

SYNTH_MIN_SECONDS = 1.0  # the shortest tape the generator makes (orcas/synth.py)


def problems(section, config=None):
    """One message per setting of ``section`` (config["orcas"]) that cannot work."""
    out = []
    m, t, s, e = section["model"], section["training"], section["scan"], section["evaluation"]
    rate = section["audio"]["rate"]
    sizes = {"lstm": ("orcas.model.units", m["units"])}
    if m["hidden"]:
        sizes["baseline"] = ("orcas.model.hidden[0]", m["hidden"][0])
    for network in section["networks"]:
        key, units = sizes.get(network, ("orcas.model.hidden", 0))
        if e["top_units"] > units:
            out.append(f"config key orcas.evaluation.top_units: {e['top_units']} units asked for, "
                       f"but the {network} has {units} ({key})")
    if round(t["segment_seconds"] * rate) // t["bptt_steps"] < 1:
        out.append(f"config key orcas.training.segment_seconds: {t['segment_seconds']} s is "
                   f"{round(t['segment_seconds'] * rate)} samples, less than one update of "
                   f"{t['bptt_steps']} steps (orcas.training.bptt_steps)")
    spacing = s["keep_every"] * s["hop"] / rate
    if spacing > e["figure_seconds"] / 2:
        out.append(f"config key orcas.scan.keep_every: {s['keep_every']} steps of {s['hop']} "
                   f"sample(s) keep one output every {spacing:g} s, too few for a "
                   f"{e['figure_seconds']:g}-s stretch (orcas.evaluation.figure_seconds) to "
                   "show a track")
    if section["source"]["kind"] == "synthetic":
        out += _synthetic_problems(section)
    return out


def _synthetic_problems(section):
    from .data import segment_span

    synth, t, rate = section["synthetic"], section["training"], section["audio"]["rate"]
    out = []
    low, high = synth["boat_pass_seconds"]
    if low > high:
        out.append(f"config key orcas.synthetic.boat_pass_seconds: [{low}, {high}] is reversed; "
                   "give [low, high] with low <= high")
    span = segment_span(t["segment_seconds"], rate, t["bptt_steps"], section["model"]["window"])
    if synth["seconds"] < SYNTH_MIN_SECONDS:
        out.append(f"config key orcas.synthetic.seconds: {synth['seconds']:g} s; the generated "
                   f"tapes must be at least {SYNTH_MIN_SECONDS:g} s long")
    elif round(synth["seconds"] * rate) < span:
        out.append(f"config key orcas.synthetic.seconds: {synth['seconds']:g} s tapes are shorter "
                   f"than one training segment ({span / rate:g} s: orcas.training.segment_seconds "
                   "and one window of orcas.model.window samples)")
    return out
