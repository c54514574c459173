"""Running a rule's entry point: logging to the rule's log, one clear line for bad input, the
Keras backend, and the settings a training backup must match."""

import atexit
import contextlib
import ctypes
import errno
import importlib.abc
import logging
import os
import sys
import threading
import traceback
from pathlib import Path

from .config import ConfigError
from .errors import InputError
from .scheduling import claim_gpus

log = logging.getLogger("audiorepro")
PACKAGE = Path(__file__).resolve().parent


# what an OSError's number means to someone reading a rule's log
_OS_CAUSES = {
    errno.ENOSPC: "disk full (no space left on the device)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOENT: "no such file or folder",
    errno.EIO: "input/output error (a failing disk or network file system)",
    errno.ENOMEM: "out of memory",
}


def _where(tb):
    """The innermost frame of this workflow's own code in a traceback (this module's own
    excepted), as 'path:line' relative to the repository."""
    root, here = PACKAGE.parent.parent, Path(__file__).resolve()
    frames = []
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename).resolve()
        if path == here or not path.is_relative_to(root):
            continue
        path = path.relative_to(root)  # not a library in a virtual env inside the checkout
        if not any(part.startswith(".") or part == "site-packages" for part in path.parts):
            frames.append((path, frame.lineno))
    if not frames:
        return None
    path, line = frames[-1]
    return f"{path.as_posix()}:{line}"


def describe_failure(err):
    """One line for any exception: the file it concerns and the cause, in words where the
    cause is the machine's (a full disk says so), else the exception's type and message and
    where in this workflow's code it was raised."""
    if isinstance(err, (InputError, ConfigError)):
        return str(err)
    if isinstance(err, MemoryError):
        return "out of memory"
    if isinstance(err, OSError) and err.errno in _OS_CAUSES:
        names = [n for n in (err.filename, err.filename2) if n]
        target = f" ({' -> '.join(map(str, names))})" if names else ""
        return f"{_OS_CAUSES[err.errno]}{target}"
    message = " ".join(str(err).split()) or "(no message)"
    where = _where(err.__traceback__)
    return f"{type(err).__name__}: {message}" + (f" (at {where})" if where else "")


def job_cost():
    """What this job's process has spent since it started, for the last line of its log (no
    rule carries a Snakemake benchmark: the output cache refuses one on a training rule): wall
    seconds, CPU seconds (user + system, its child processes such as ffmpeg included) and peak
    resident memory."""
    import resource
    import time

    import psutil

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.time() - psutil.Process().create_time()
    cpu_user = own.ru_utime + children.ru_utime
    cpu_system = own.ru_stime + children.ru_stime
    peak_mb = max(own.ru_maxrss, children.ru_maxrss) / 1024  # Linux: kilobytes
    return (f"job cost: wall {wall:.1f} s, CPU {cpu_user:.1f} s user + {cpu_system:.1f} s "
            f"system, peak memory {peak_mb:.0f} MB")


def run(snakemake, main):
    """Call ``main(snakemake)``. Any exception ends the job with one line, to the console and as
    the last line of the rule's log, naming the rule, the file and the cause; the traceback of an
    unexpected one (not bad input) goes to the log file only, above that line."""
    handlers = [logging.StreamHandler(sys.stderr)]
    log_file = None
    if snakemake.log:
        log_file = logging.FileHandler(snakemake.log[0], mode="a")  # after start-up notices
        handlers.append(log_file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    try:
        main(snakemake)
        with contextlib.suppress(Exception):  # the outputs are written: never fail them now
            log.info("%s", job_cost())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # noqa: BLE001 (every failure becomes one line)
        if log_file is not None and not isinstance(err, (InputError, ConfigError)):
            with contextlib.suppress(Exception):
                log_file.stream.write("".join(traceback.format_exception(err)))
                log_file.flush()
        try:
            log.error("ERROR in rule %s: %s", snakemake.rule, describe_failure(err))
        except OSError:  # the log itself cannot be written (a full disk): the console still can
            print(f"ERROR in rule {snakemake.rule}: {describe_failure(err)}", file=sys.stderr)
        if job_process():
            exit_now(1)
        sys.exit(1)
    if job_process():
        exit_now(0)


def job_process():
    """Whether this process is a Snakemake job running an entry point (``script:``): its
    ``__main__`` is Snakemake's copy of the script, which keeps the copy's own name in
    ``__real_file__``. Never true in a test that calls :func:`run` itself.
    AUDIOREPRO_FULL_EXIT=1 turns :func:`exit_now` off for jobs too."""
    if os.environ.get("AUDIOREPRO_FULL_EXIT", "") not in ("", "0"):
        return False
    return hasattr(sys.modules.get("__main__"), "__real_file__")


def exit_now(code):
    """End a job's process with ``code`` once its work is done and written, without Python's
    finalisation of every module: after TensorFlow was imported that takes about 1.8 CPU
    seconds, a third of what importing it costs, for no output (``make bench`` prints a job's
    start and exit as ``startup_keras_cpu_seconds``, beside ``..._plain`` with the full exit).

    What a normal exit does that matters still happens, in order: threads that are not daemons
    are waited for, the ``atexit`` functions run (logging's shutdown, which flushes and closes
    the log file; weakref finalizers such as temporary folders' removal), and Python's own
    buffers of stdout and stderr are flushed. Files the job wrote are closed by then: every
    output goes through :func:`audiorepro.atomic.atomic_path`, which closes and renames it."""
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


@contextlib.contextmanager
def native_stderr_to(path):
    """Send what native code writes to the process's stderr (file descriptor 2: TensorFlow's C++
    start-up notices, a notebook kernel's output) to ``path`` instead of the console for the
    block, unless TF_CPP_MIN_LOG_LEVEL=0 asks for everything. Python's own errors still reach
    the console: the descriptor is restored before an exception leaves the block."""
    if path is None or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as target:
        os.dup2(target.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory(top_pad=512 << 20, mmap_threshold=1 << 30):
    """Have glibc's malloc keep the memory a training step frees for the next step.

    A training step allocates and frees tens of megabytes of activations. By default glibc
    returns that memory to the system and maps it again the next step, and every page it maps
    again is faulted in and zeroed by the kernel: measured on the 2-core machine, one epoch of
    the catsdogs model spent 9 of its 12 CPU seconds in the kernel and took twice as long
    (docs/design.md "Benchmarks"). Growing the heap by ``top_pad`` at a time, never trimming it and
    serving blocks up to ``mmap_threshold`` from it keeps those pages; memory in use stays at
    the job's peak. Returns whether the settings took (False where the C library is not glibc).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return all(libc.mallopt(option, value) == 1 for option, value in
                   ((M_TRIM_THRESHOLD, 2**31 - 1), (M_TOP_PAD, top_pad),
                    (M_MMAP_THRESHOLD, mmap_threshold)))
    except (OSError, AttributeError):
        return False


def hold_gpus(snakemake):
    """A job that holds ``resources: gpu=n`` gets n GPUs of its own (CUDA_VISIBLE_DEVICES, see
    :func:`scheduling.claim_gpus`), logged; returns them (None: the job's device is left as is)."""
    count = int(getattr(getattr(snakemake, "resources", None), "gpu", 0) or 0)
    devices = claim_gpus(count, log=log)
    if devices is not None and snakemake.log:  # before rule.run sets up the log: written here
        with open(snakemake.log[0], "a") as log_file:
            log_file.write(f"GPU {devices} (CUDA_VISIBLE_DEVICES), held by no other job\n")
    return devices


class _Without(importlib.abc.MetaPathFinder):
    """An import finder under which importing ``names`` (and their submodules) fails."""

    def __init__(self, names):
        self.names = tuple(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.names or fullname.startswith(tuple(f"{n}." for n in self.names)):
            raise ImportError(f"{fullname} is not imported while Keras starts", name=fullname)
        return None


@contextlib.contextmanager
def without_modules(*names):
    """Within the block, importing ``names`` raises ImportError (unless already imported);
    afterwards they import as usual.

    Keras imports scikit-learn (and SciPy's statistics with it) at start-up, only for its
    scikit-learn wrappers (``keras.wrappers``), and leaves them out when the import fails
    (``keras/src/wrappers/fixes.py``). No rule uses those wrappers, and the import costs a
    training job about 0.9 CPU seconds of its 4.6; a module that needs scikit-learn (whales'
    ROC) imports it itself, later."""
    finder = _Without(names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS")


def limit_threads(threads, environ=os.environ):
    """Give the numerical libraries ``threads`` threads (a value already in ``environ`` wins).

    A job's threads (Snakemake's `threads:`, at most --cores) are its libraries' threads: a run
    with other thread counts sums in another order, which the seed replicates' intervals have to
    cover (the README's "How far another run may differ"). TensorFlow's inter-op pool (ops run
    side by side) gets them too: by default it takes every core, so a one-thread job used the
    cores Snakemake gave other jobs (alone on two cores, a catsdogs step cost 69 CPU ms against
    57 with one; the weights are the same to the bit). Set before TensorFlow starts.
    """
    for variable in THREAD_VARIABLES:
        environ.setdefault(variable, str(max(1, int(threads or 1))))


def use_backend(snakemake):
    """Select the rule's Keras backend (``params.backend``; KERAS_BACKEND in the environment
    wins), give the numerical libraries the job's threads, keep freed memory for the next
    training step (:func:`keep_freed_memory`) and import Keras, its start-up notices going to
    the job's log rather than the console (TF_CPP_MIN_LOG_LEVEL=0 shows them)."""
    keep_freed_memory()
    hold_gpus(snakemake)
    os.environ.setdefault("KERAS_BACKEND", snakemake.params.backend)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    limit_threads(getattr(snakemake, "threads", 1))
    # TensorFlow only: PyTorch's start-up asks importlib whether scikit-learn exists
    # (torch._dynamo's trace rules), which the blocked import would answer with an error
    blocked = ("sklearn",) if os.environ["KERAS_BACKEND"] == "tensorflow" else ()
    with native_stderr_to(snakemake.log[0] if snakemake.log else None), \
            without_modules(*blocked):
        import keras  # noqa: F401
    return os.environ["KERAS_BACKEND"]
