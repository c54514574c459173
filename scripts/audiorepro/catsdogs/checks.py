"""Settings of the catsdogs study that the schema cannot judge and that would otherwise fail only
inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""

SYNTH_MIN_RATE = 8000  # the generator's meows and barks reach several kHz (catsdogs/synth.py)


def problems(section, config=None):
    """One message per setting of ``section`` (config["catsdogs"]) that cannot work; the
    top-level key ``ablations`` of ``config`` (default true) says whether C4/C5 train."""
    ablations = (config or {}).get("ablations", True)
    out = []
    audio, split, training = section["audio"], section["split"], section["training"]
    rate = audio["rate"]
    if audio["min_seconds"] > audio["max_seconds"]:
        out.append(f"config key catsdogs.audio.min_seconds: {audio['min_seconds']} s is above "
                   f"catsdogs.audio.max_seconds ({audio['max_seconds']} s): no file could pass "
                   "the decode; give min_seconds <= max_seconds")
    windows = [("catsdogs.training.window", training["window"])]
    grid = (section.get("ablations") or {}).get("grid_training") or {}
    if ablations and "window" in grid:
        windows.append(("catsdogs.ablations.grid_training.window", grid["window"]))
    for key, window in windows:
        if window > audio["max_seconds"] * rate:
            out.append(f"config key {key}: {window} samples is longer than the longest file the "
                       f"decode accepts ({audio['max_seconds']} s, catsdogs.audio.max_seconds, is "
                       f"{audio['max_seconds'] * rate:g} samples at {rate} Hz): no test file "
                       "would give a segment")
    for name in ("original_validation_fraction", "clean_validation_fraction"):
        protocol = name.split("_")[0]
        if protocol in section["protocols"] and not 0 < split[name] < 1:
            out.append(f"config key catsdogs.split.{name}: {split[name]} leaves the "
                       f"{'validation' if split[name] == 0 else 'training'} part of the "
                       f"{protocol} split empty; give a share between 0 and 1")
    if "original" in section["protocols"] and split["original_test_per_class"] < 1:
        out.append("config key catsdogs.split.original_test_per_class: 0 leaves the original "
                   "protocol's test folder empty; give at least 1")
    if section["source"]["kind"] == "synthetic":
        out += _synthetic_problems(section["synthetic"], audio)
    return out


def _synthetic_problems(synth, audio):
    """What the generator (catsdogs/synth.py) or the decode would refuse in the generated set."""
    out = []
    key = "config key catsdogs.synthetic"
    lo, hi = synth.get("min_seconds"), synth.get("max_seconds")
    for animal in ("cats", "dogs"):
        n, n_test = synth.get(f"n_{animal}"), synth.get(f"n_test_{animal}")
        if n is not None and n_test is not None and n_test > n:
            out.append(f"{key}.n_test_{animal}: {n_test} test {animal} asked for, but "
                       f"catsdogs.synthetic.n_{animal} makes {n}")
    if synth.get("missing_cat_numbers") and min(synth["missing_cat_numbers"]) < 1:
        out.append(f"{key}.missing_cat_numbers: {min(synth['missing_cat_numbers'])}: cat files "
                   "are numbered from 1")
    if lo is not None and hi is not None:
        if lo > hi:
            out.append(f"{key}.min_seconds: {lo} s is above catsdogs.synthetic.max_seconds "
                       f"({hi} s); give min_seconds <= max_seconds")
        elif audio["min_seconds"] <= audio["max_seconds"] and (
                lo < audio["min_seconds"] or hi > audio["max_seconds"]):
            out.append(f"{key}: files of {lo}-{hi} s (min_seconds, max_seconds) are not all "
                       f"within what the decode accepts, {audio['min_seconds']}-"
                       f"{audio['max_seconds']} s (catsdogs.audio.min_seconds, max_seconds)")
        else:
            n = synth.get("n_cats", 0) + synth.get("n_dogs", 0)
            total = synth.get("total_seconds")
            if total is not None and not n * lo <= total <= n * hi:
                out.append(f"{key}.total_seconds: {total} s cannot be {n} files of {lo}-{hi} s "
                           f"(give {n * lo:g}-{n * hi:g} s)")
    if audio["rate"] < SYNTH_MIN_RATE:
        out.append(f"config key catsdogs.audio.rate: {audio['rate']} Hz is below the "
                   f"{SYNTH_MIN_RATE} Hz the synthetic calls need (catsdogs.source.kind is "
                   "synthetic)")
    return out
