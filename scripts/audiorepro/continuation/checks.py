"""Settings of the continuation study that the schema cannot judge and that would otherwise fail
only inside a job: checked when the workflow starts (:func:`audiorepro.config.setting_problems`)."""

import math


def problems(section):
    """One message per setting of ``section`` (config["continuation"]) that cannot work."""
    out = []
    fractions = section["split"]["fractions"]
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        out.append(f"config key continuation.split.fractions: {fractions} add to "
                   f"{sum(fractions):g}; train, valid and test shares must add to 1")
    elif min(fractions[:2]) <= 0:
        out.append(f"config key continuation.split.fractions: {fractions}: the train and valid "
                   "shares must be above 0")
    low, high = section["drift"]["percentiles"]
    if not low < high:
        out.append(f"config key continuation.drift.percentiles: [{low}, {high}]; give [low, high] "
                   "with low < high")
    return out
