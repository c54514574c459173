"""Settings of the sorting study that the schema cannot judge and that would otherwise fail only
inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""


def problems(section, config=None):
    """One message per setting of ``section`` (config["sorting"]) that cannot work."""
    out = []
    rate = section["audio"]["rate"]
    low, high = section["sampling"]["pad_seconds"]
    if low > high:
        out.append(f"config key sorting.sampling.pad_seconds: [{low}, {high}] is reversed; give "
                   "[low, high] with low <= high")
    for b, block in enumerate(section["grid"]):
        for length in block.get("sample_length", []):
            if round(length * rate) < 1:
                out.append(f"config key sorting.grid[{b}].sample_length: {length} s is "
                           f"{length * rate:.2g} samples at {rate} Hz; a chunk needs at least one "
                           f"sample ({1 / rate:.2g} s)")
    listening, controls = section["listening"], section["controls"]
    if round(listening["chunk_seconds"] * rate) < 1:
        out.append(f"config key sorting.listening.chunk_seconds: {listening['chunk_seconds']} s "
                   f"holds no sample at {rate} Hz")
    if round(listening["excerpt_seconds"] * rate) > round(controls["seconds"] * rate):
        out.append(f"config key sorting.listening.excerpt_seconds: {listening['excerpt_seconds']} "
                   f"s is longer than the controls it is cut from ({controls['seconds']} s, "
                   "sorting.controls.seconds)")
    if section["sampling"]["n_samples"] < 2:
        out.append("config key sorting.sampling.n_samples: 1 sample cannot be split into training "
                   "and validation; give at least 2")
    clean_music = any("music" in block.get("dataset", []) and "clean" in block.get("protocol", [])
                      for block in section["grid"])
    n_songs = section["synthetic"]["n_songs"]
    if section["source"]["kind"] == "synthetic" and clean_music and n_songs < 2:
        out.append(f"config key sorting.synthetic.n_songs: {n_songs} song cannot be split by song "
                   "(the clean protocol of a music grid point): give at least 2")
    out += _control_problems(section, low <= high)
    return out


def _control_problems(section, pads_ok):
    """The noise, tone and sine controls are cut into sorting.controls.segments parts, each of
    which must hold the longest sample a control grid point draws."""
    rate, controls = section["audio"]["rate"], section["controls"]
    points = [(b, length, n) for b, block in enumerate(section["grid"])
              if set(block.get("dataset", [])) - {"music"}
              for length in block.get("sample_length", []) for n in block.get("n_chunks", [])]
    if not points:
        return []
    segments = controls["segments"]
    if segments < 2:
        return [f"config key sorting.controls.segments: {segments}; the controls the grid trains "
                "on are cut into parts so that the clean split can hold some out: give at least 2"]
    if not pads_ok:
        return []
    part = round(controls["seconds"] * rate) // segments
    pad = round(section["sampling"]["pad_seconds"][1] * rate)
    out = []
    for b, length, n in points:
        span = n * round(length * rate) + (n - 1) * pad
        if span > part:
            out.append(f"config key sorting.controls.segments: {segments} parts of "
                       f"{controls['seconds']} s (sorting.controls.seconds) are {part} samples "
                       f"each, shorter than a sample of sorting.grid[{b}] ({n} chunks of "
                       f"{length} s and {n - 1} pads of up to "
                       f"{section['sampling']['pad_seconds'][1]} s: {span} samples)")
            break
    return out
