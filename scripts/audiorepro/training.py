"""What every training rule shares: the Keras backend, seeds, callbacks, the device, metrics."""

import json
import os
import platform
import time
from pathlib import Path

from .atomic import atomic_path


def use_backend(name):
    """Select the Keras backend before keras is imported; KERAS_BACKEND in the environment wins."""
    os.environ.setdefault("KERAS_BACKEND", name)
    import keras

    return keras.backend.backend()


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
        "keras": keras.__version__,
    }


def callbacks(model_path, history_path, backup_dir, monitor="val_accuracy", mode="max"):
    """Best-validation checkpoint, per-epoch history CSV, and resume after interruption."""
    import keras

    return [
        keras.callbacks.ModelCheckpoint(str(model_path), monitor=monitor, mode=mode, save_best_only=True),
        keras.callbacks.CSVLogger(str(history_path)),
        keras.callbacks.BackupAndRestore(str(backup_dir), delete_checkpoint=True),
    ]


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_json(path, data):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=2, sort_keys=True, default=float) + "\n")


def parameter_counts(model):
    """Total, trainable and non-trainable parameter counts, as Keras' summary reports them."""
    import math

    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    return {"total": int(trainable + frozen), "trainable": int(trainable), "non_trainable": int(frozen)}
