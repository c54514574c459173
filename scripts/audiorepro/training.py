"""What every training rule shares: the Keras backend, seeded batch streams, fitting with a
best-validation checkpoint, a per-epoch history and an exact resume, the device, metrics.

Why not Keras' own ``ModelCheckpoint`` + ``CSVLogger`` + ``BackupAndRestore``: after ``kill -9``
and a rerun, CSVLogger starts a new file (the history loses the first epochs), ModelCheckpoint
forgets the best value so far, BackupAndRestore restores neither the batch streams nor the
random-number state of dropout, writes its files in place (a kill during a write corrupts them)
and reuses a backup made under other settings. :class:`ResumableFit` keeps all of it in one
backup folder that is replaced whole after every epoch, so a resumed run equals an
uninterrupted one.
"""

import hashlib
import json
import logging
import math
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np

from .atomic import atomic_path, write_json  # noqa: F401 (entry points import it from here)

log = logging.getLogger("audiorepro")
PACKAGE = Path(__file__).resolve().parent


def epoch_batches(n_batches, make_batch):
    """A Keras PyDataset whose batch ``index`` of epoch ``epoch`` is ``make_batch(epoch, index)``.

    Batches are a pure function of (epoch, index), and ``epoch`` is set by
    :class:`ResumableFit` to Keras' epoch number at the start of every epoch (also for the
    validation stream). Keras' own calls of ``on_epoch_end`` are ignored: it makes them when
    it sets up a fit or an evaluation as well as after an epoch, and it shuffles the batch
    order with the global random state, neither of which a resumed run could repeat. Fit
    with ``shuffle=False``; a stream shuffles inside ``make_batch`` if it needs to.
    """
    import keras

    class EpochBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch = 0

        def __len__(self):
            return n_batches

        def __getitem__(self, index):
            return make_batch(self.epoch, index)

    return EpochBatches()


def fit_input(stream):
    """What :class:`ResumableFit` hands Keras' ``fit`` for a batch stream: on TensorFlow a
    ``tf.data`` pipeline over the same batches, in the same order, its shapes fixed wherever the
    stream's first and last batches agree; the stream itself on other backends, or for
    anything but a PyDataset (None included).

    Keras' PyDataset adapter builds the same pipeline (``from_generator``, then prefetch) but
    always declares the batch axis unknown, and TensorFlow's graph for a step of unknown batch
    size is slower: the catsdogs step took 43 against 37 ms, continuation's 101 against 80
    (``make bench``'s measure, one thread). A stream whose last batch is partial keeps the batch
    axis unknown, exactly as before. Batches are read when the pipeline reaches them, so the
    epoch that :class:`ResumableFit` sets at the start of each epoch still decides them. An
    empty stream goes to Keras, which refuses it with its own message.
    """
    import keras

    if (keras.backend.backend() != "tensorflow" or not isinstance(stream, keras.utils.PyDataset)
            or len(stream) == 0):
        return stream
    import tensorflow as tf

    def spec(first, last):
        first, last = np.asarray(first), np.asarray(last)
        shape = [a if a == b else None for a, b in zip(first.shape, last.shape, strict=True)]
        return tf.TensorSpec(shape, tf.as_dtype(first.dtype))

    def batch(index):  # a list is Keras' (x, y[, sample_weight]) too
        value = stream[index]
        return tuple(value) if isinstance(value, list) else value

    def batches():
        for index in range(len(stream)):
            yield batch(index)

    signature = tf.nest.map_structure(spec, batch(0), batch(len(stream) - 1))
    pipeline = tf.data.Dataset.from_generator(batches, output_signature=signature)
    return (pipeline.apply(tf.data.experimental.assert_cardinality(len(stream)))
            .prefetch(tf.data.AUTOTUNE))


def build_optimizer(model):
    """Create the compiled model's optimizer variables now, eagerly, as Keras' ``fit`` would
    inside its first trace of the training step (the same variables, the same zeros).

    Created inside the trace, each variable is initialised through a traced function of its
    own, and TensorFlow then traces the training step a second time, now without creating
    variables: for sorting's network with Adam (52 variables) the first epoch cost 3.6 CPU
    seconds against 2.2 with the optimizer built first, the later epochs 0.5. A resumed fit
    needs them built anyway, to restore them."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def fingerprint(settings):
    """A short hash of everything a backup must agree with to be reused."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def backup_dir(model_path):
    """Where a training rule keeps its resume state: beside the model, not a declared output, so
    that Snakemake's clean-up of an interrupted job's outputs leaves it for the rerun."""
    return Path(model_path).parent / "backup"


def code_version():
    """A hash of the package's source, so a backup made by other code is not reused."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def training_settings(snakemake):
    """Everything a training run's result depends on: the rule's parameters and wildcards, its
    input files (size and time), the backend and the code."""
    return {
        "rule": snakemake.rule,
        "params": {k: v for k, v in snakemake.params.items()},
        "wildcards": dict(snakemake.wildcards.items()),
        "inputs": {str(p): [Path(p).stat().st_size, Path(p).stat().st_mtime_ns]
                   for p in snakemake.input},
        "backend": os.environ.get("KERAS_BACKEND"),
        "code": code_version(),
    }


class ResumableFit:
    """Fit a compiled model with a best-validation checkpoint, a history CSV and an exact resume.

    After every epoch the backup folder (``backup_dir``) is replaced whole by one holding: every
    model variable (weights, batch-norm statistics, dropout seed state) and optimizer variable,
    the history so far, the best value and epoch, the best model and the settings'
    fingerprint. Batch streams from :func:`epoch_batches` are told each epoch's number, so the
    resumed epochs see the same batches. A later run with the same settings continues
    from the last finished epoch; a backup made under other settings is discarded with a log
    line. At the end the best model and the history are written to their final paths and the
    backup is removed.
    """

    def __init__(self, model_path, history_path, backup_dir, settings, monitor="val_loss",
                 mode="min"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
        self.model_path, self.history_path = Path(model_path), Path(history_path)
        self.backup_dir = Path(backup_dir)
        self.settings = settings
        self.key = fingerprint(settings)
        self.monitor, self.mode = monitor, mode

    # --- the backup -----------------------------------------------------------------------
    def _load_state(self):
        state_file = self.backup_dir / "state.json"
        if not state_file.is_file():
            if self.backup_dir.exists():
                log.info("discarding an incomplete backup in %s", self.backup_dir)
                shutil.rmtree(self.backup_dir)
            return None
        state = json.loads(state_file.read_text())
        if state.get("fingerprint") != self.key:
            log.warning("discarding the backup in %s: it was made under other settings "
                        "(fingerprint %s, now %s)", self.backup_dir, state.get("fingerprint"), self.key)
            shutil.rmtree(self.backup_dir)
            return None
        return state

    def _save_state(self, model, history, best, best_epoch, seconds, improved):
        with atomic_path(self.backup_dir, is_dir=True) as tmp:
            arrays = {f"m{i}": np.asarray(v) for i, v in enumerate(model.variables)}
            arrays.update({f"o{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)})
            np.savez(tmp / "variables.npz", **arrays)
            previous_best = self.backup_dir / "best.keras"
            if improved:
                model.save(tmp / "best.keras")
            elif previous_best.exists():
                os.link(previous_best, tmp / "best.keras")
            state = {"fingerprint": self.key, "settings": self.settings, "epoch": len(history),
                     "history": history, "best": best, "best_epoch": best_epoch,
                     "seconds": seconds}
            (tmp / "state.json").write_text(json.dumps(state, indent=1, default=float))

    def _restore(self, model, state):
        data = np.load(self.backup_dir / "variables.npz")
        for i, v in enumerate(model.variables):
            v.assign(data[f"m{i}"])
        for i, v in enumerate(model.optimizer.variables):
            v.assign(data[f"o{i}"])

    # --- fitting --------------------------------------------------------------------------
    def fit(self, model, train, epochs, validation=None, callbacks=(), verbose=2, **fit_kwargs):
        """``model.fit`` from the last finished epoch; returns the history as a list of dicts
        (``epoch`` from 0 as Keras counts, then Keras' logs) and sets ``seconds`` (training
        time, resumes included), ``best``, ``best_epoch`` (from 1) and ``resumed_from``."""
        import keras

        streams = [s for s in (train, validation) if s is not None]
        build_optimizer(model)
        state = self._load_state()
        history, best, best_epoch, seconds = [], None, None, 0.0
        self.resumed_from = 0
        if state is not None:
            if state["epoch"] > epochs:
                raise RuntimeError(f"backup in {self.backup_dir} is at epoch {state['epoch']}, "
                                   f"beyond {epochs}")  # settings hold epochs: cannot happen
            self._restore(model, state)
            history, best, best_epoch = state["history"], state["best"], state["best_epoch"]
            seconds = state["seconds"]
            self.resumed_from = state["epoch"]
            log.info("resuming from the backup in %s after epoch %d", self.backup_dir, state["epoch"])
        owner = self

        class Keeper(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                for stream in streams:  # batches are a function of Keras' epoch alone
                    if hasattr(stream, "epoch"):
                        stream.epoch = epoch
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                nonlocal best, best_epoch, seconds
                # ``epoch`` counts from 0, as Keras' CSVLogger wrote it
                row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
                history.append(row)
                value = row.get(owner.monitor)
                if value is None:
                    raise KeyError(f"the monitored metric {owner.monitor!r} is not in the logs "
                                   f"({', '.join(row)})")
                # a NaN or infinite value never becomes the best: the best stays the last
                # finite one (a NaN first epoch would otherwise win every comparison's tie)
                improved = math.isfinite(value) and (
                    best is None or (value > best if owner.mode == "max" else value < best))
                if improved:
                    best, best_epoch = value, epoch + 1
                elif best is None:  # nothing finite yet: keep this model until one is
                    improved = True
                seconds += time.perf_counter() - self.started
                owner._save_state(self.model, history, best, best_epoch, seconds, improved)
                if not math.isfinite(value):
                    log.warning("epoch %d: %s is %s; the best model stays that of epoch %s",
                                epoch + 1, owner.monitor, value, best_epoch)
                if not math.isfinite(row.get("loss", 0.0)):
                    log.warning("epoch %d: %s; training stops", epoch + 1, divergence(history))
                    self.model.stop_training = True

        if self.resumed_from < epochs:
            model.fit(fit_input(train), validation_data=fit_input(validation), epochs=epochs,
                      initial_epoch=self.resumed_from, callbacks=[*callbacks, Keeper()],
                      shuffle=False, verbose=verbose, **fit_kwargs)
        self.history, self.best, self.best_epoch, self.seconds = history, best, best_epoch, seconds
        self.divergence = divergence(history)
        if self.divergence:
            log.warning("training diverged: %s. The metrics say so, and no claim that reads "
                        "them can hold: lower the learning rate or check the input", self.divergence)
        self._finish(history)
        return history

    def _finish(self, history):
        import pandas as pd

        with atomic_path(self.model_path) as tmp:
            shutil.copyfile(self.backup_dir / "best.keras", tmp)
        with atomic_path(self.history_path) as tmp:
            pd.DataFrame(history).to_csv(tmp, index=False)
        shutil.rmtree(self.backup_dir)


def resumable_fit(job, monitor="val_loss", mode="min"):
    """The :class:`ResumableFit` of a training job (a Snakemake job, or anything with its
    ``rule``, ``input``, ``output.model``, ``output.history``, ``params`` and ``wildcards``):
    its backup beside the model, its settings (:func:`training_settings`) as the fingerprint."""
    out = job.output
    return ResumableFit(out.model, out.history, backup_dir(out.model), training_settings(job),
                        monitor=monitor, mode=mode)


def divergence(history, growth=10.0):
    """Why a training history (list of dicts, one per epoch) counts as diverged, or None: a
    training loss that became NaN or infinite, or a final training loss more than ``growth``
    times the lowest it reached (it learned, then blew up)."""
    losses = [row["loss"] for row in history if "loss" in row]
    for row in history:
        if "loss" in row and not math.isfinite(row["loss"]):
            return f"the training loss became {row['loss']} at epoch {int(row['epoch']) + 1}"
    if len(losses) > 1 and min(losses) > 0 and losses[-1] > growth * min(losses):
        return (f"the training loss grew from its lowest {min(losses):.4g} to {losses[-1]:.4g} "
                f"(more than {growth:g} times)")
    return None


def loss_summary(history, column="loss"):
    """{final, min, epochs} of a training history (a DataFrame or list of dicts with ``column``)."""
    values = np.asarray([row[column] for row in history] if isinstance(history, list)
                        else history[column], float)
    return {"final": float(values[-1]), "min": float(values.min()), "epochs": int(len(values))}


def device_description():
    """Where training runs: backend and accelerator, recorded in every metrics file."""
    import keras

    backend = keras.backend.backend()
    devices = []
    if backend == "jax":
        import jax

        devices = [str(d) for d in jax.devices()]
    elif backend == "torch":
        import torch

        devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] or ["cpu"]
    elif backend == "tensorflow":
        import tensorflow as tf  # device listing only; models never touch tf directly

        devices = [d.name for d in tf.config.list_logical_devices()]
    accelerated = any(("gpu" in d.lower() or "cuda" in d.lower()) for d in devices)
    return {
        "backend": backend,
        "devices": devices,
        "accelerator": "gpu" if accelerated else "cpu",
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "threads": int(os.environ.get("TF_NUM_INTRAOP_THREADS") or 0) or None,
        "keras": keras.__version__,
    }


def parameter_counts(model):
    """Total, trainable and non-trainable parameter counts, as Keras' summary reports them."""
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    return {"total": int(trainable + frozen), "trainable": int(trainable), "non_trainable": int(frozen)}


def training_record(fitter, model):
    """The part of a metrics file every study shares: epochs, best epoch, time, resume, device."""
    return {
        "diverged": bool(fitter.divergence),
        "divergence": fitter.divergence,
        "epochs_run": len(fitter.history),
        "best_epoch": fitter.best_epoch,
        "monitor": fitter.monitor,
        "best_monitored": fitter.best,
        "resumed_from_epoch": fitter.resumed_from,
        "parameters": parameter_counts(model),
        "training_seconds": round(fitter.seconds, 1),
        "device": device_description(),
    }
