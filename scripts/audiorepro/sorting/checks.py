"""Settings of the sorting study that the schema cannot judge and that would otherwise fail only
inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""


def problems(section):
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
    listening = section["listening"]
    if round(listening["chunk_seconds"] * rate) < 1:
        out.append(f"config key sorting.listening.chunk_seconds: {listening['chunk_seconds']} s "
                   f"holds no sample at {rate} Hz")
    return out
