"""Settings of the orcas study that the schema cannot judge and that would otherwise fail only
inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""


def problems(section):
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
    return out
