"""Settings of the whales study that the schema cannot judge and that would otherwise fail only
inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""


def problems(section, config=None):
    """One message per setting of ``section`` (config["whales"]) that cannot work."""
    out = []
    names = {}
    for net, rates in section["sweep"].items():
        for rate in rates:
            name = f"{net}_lr{rate:g}"  # the model's name (rules/whales.smk)
            if name in names:
                out.append(f"config key whales.sweep.{net}: {names[name]} and {rate} are both "
                           f"the model {name}; list each learning rate once")
            names.setdefault(name, rate)
    if section["source"]["kind"] == "synthetic":
        synth = section["synthetic"]
        low, high = synth["snr_db_range"]
        if low > high:
            out.append(f"config key whales.synthetic.snr_db_range: [{low}, {high}] is reversed; "
                       "give [low, high] with low <= high")
        n = synth["n_train"]
        positive = int(round(synth["positive_fraction"] * n))
        if min(positive, n - positive) < 2:
            out.append(f"config key whales.synthetic.positive_fraction: "
                       f"{synth['positive_fraction']} of {n} training clips "
                       f"(whales.synthetic.n_train) makes {positive} with an upcall and "
                       f"{n - positive} without; the split needs at least 2 of each, one for "
                       "training and one for validation")
    return out
