"""What a training or inference job asks the scheduler for.

On a GPU each such job holds one (``--resources gpu=N`` caps how many run at once) and two CPU
threads. On a CPU alone a GPU resource would only make the trainings wait for each other: the
jobs hold none and one thread each, so that as many run side by side as there are cores, and
their numbers do not depend on ``--cores`` (the numerical libraries sum in the same order).
"""

import fcntl
import os
import shutil
import subprocess
import tempfile
import time


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


# ---- one GPU per job on a box with several (Snakemake's --resources gpu=N only counts them)
SLOTS_VARIABLE = "AUDIOREPRO_GPU_SLOTS"  # the folder of slot locks; default: per user, in /tmp
_held = []  # the open lock files of this process's slots: released when the process ends


def gpu_indices(run=subprocess.run):
    """The indices ``nvidia-smi -L`` lists (``GPU 0: ...``), in its order; [] without a GPU."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        listing = run([exe, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    if listing.returncode != 0:
        return []
    return [line.split(":")[0].split()[1] for line in listing.stdout.splitlines()
            if line.startswith("GPU ") and line.split(":")[0].split()[1].isdigit()]


def slots_dir(environ=None):
    environ = os.environ if environ is None else environ
    folder = environ.get(SLOTS_VARIABLE) or os.path.join(tempfile.gettempdir(),
                                                         f"audiorepro-gpu-slots-{os.getuid()}")
    os.makedirs(folder, exist_ok=True)
    return folder


def claim_gpus(count, environ=None, listing=gpu_indices, poll=0.5, log=None):
    """Give this process ``count`` GPUs that no other running job of this machine holds:
    ``CUDA_VISIBLE_DEVICES`` is set to them before any numerical library starts its device.

    Snakemake's ``--resources gpu=N`` caps how many GPU jobs run at once but not which device each
    uses (snakemake issue 281), so without this every job would share GPU 0. Each GPU is a lock
    file (``flock``) in :func:`slots_dir`; a job holds its locks until it ends, however it ends
    (the kernel releases them after kill -9 too). Where every GPU is held (more jobs allowed than
    GPUs listed) the job waits for one. Nothing is changed when ``count`` is 0, when no GPU is
    listed, inside a SLURM job, or when ``CUDA_VISIBLE_DEVICES`` is already set (SLURM and other
    schedulers give each job its own GPUs themselves). Returns the devices it set, or None."""
    environ = os.environ if environ is None else environ
    if (count <= 0 or environ.get("CUDA_VISIBLE_DEVICES") is not None
            or environ.get("SLURM_JOB_ID")):
        return None
    devices = listing()
    if not devices:
        return None
    if count > len(devices):
        raise ValueError(f"a job asks for {count} GPUs; nvidia-smi lists {len(devices)}")
    folder, mine, waited = slots_dir(environ), [], False
    while True:
        for device in devices:
            if device in [d for d, _ in mine]:
                continue
            # kept open on purpose: the lock lasts as long as the job's process
            handle = open(os.path.join(folder, f"gpu{device}.lock"), "a")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            mine.append((device, handle))
            if len(mine) == count:
                _held.extend(h for _, h in mine)
                chosen = ",".join(d for d, _ in mine)
                environ["CUDA_VISIBLE_DEVICES"] = chosen
                return chosen
        if not waited and log is not None:
            log.warning("every GPU nvidia-smi lists is held by another job: waiting for one "
                        "(--resources gpu allows more jobs than there are GPUs)")
        waited = True
        time.sleep(poll)


# ---- Snakemake's own scheduler on this machine
def without_rate_limit(workflow):
    """Turn off Snakemake's job-submission rate limit (``--max-jobs-per-timespan``, 100 a second
    by default) for a run on this machine; an ``onstart`` handler (the Snakefile) calls it with
    Snakemake's ``workflow``. Returns whether it did.

    Snakemake 9's scheduler answers every wake-up under that limit by starting a timer that wakes
    it again a second later, and every finished job is a wake-up of its own, so the timers add
    up: after the n-th job the scheduler runs its loop (and its job selection) n times a second,
    one thread per timer (snakemake pull request 3744). By the end of the default run that was a
    third of a core: 300 of its 2,912 CPU seconds went to Snakemake's own process, and the
    trainings waited for the cores it took. A run on this machine submits nothing to anyone, so
    it has nothing to limit; a cluster executor (``--profile profiles/slurm``) keeps the limit,
    which spares the cluster's scheduler. Nothing changes where this Snakemake has no such limiter
    (another version) or ``--no-hooks`` skips the handler."""
    scheduler = getattr(workflow, "scheduler", None)
    if not getattr(workflow, "local_exec", False) or scheduler is None:
        return False
    if getattr(scheduler, "job_rate_limiter", None) is None:
        return False
    scheduler.job_rate_limiter = None
    return True
