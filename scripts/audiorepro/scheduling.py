"""What a training or inference job asks the scheduler for.

On a GPU each such job holds one (``--resources gpu=N`` caps how many run at once) and two CPU
threads. On a CPU alone a GPU resource would only make the trainings wait for each other: the
jobs hold none and one thread each, so that as many run side by side as there are cores, and
their numbers do not depend on ``--cores`` (the numerical libraries sum in the same order).
"""

import shutil
import subprocess


def gpu_visible(run=subprocess.run):
    """Whether ``nvidia-smi -L`` lists a GPU on this machine (False without nvidia-smi, or when
    it fails or hangs)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return False
    try:
        listing = run([exe, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return listing.returncode == 0 and any(line.startswith("GPU ")
                                           for line in listing.stdout.splitlines())


def training_resources(setting, visible=gpu_visible):
    """(GPUs, threads) of each training job for the top-level ``gpu`` setting: true, false or
    ``"auto"`` (true where a GPU is visible as the workflow starts)."""
    if setting not in (True, False, "auto"):
        raise ValueError(f"gpu must be true, false or auto, not {setting!r}")
    use = visible() if setting == "auto" else setting
    return (1, 2) if use else (0, 1)
