"""The shared training helper: a resumed run equals an uninterrupted one, and a backup made
under other settings is discarded, never reused; a job keeps the memory a step frees."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from audiorepro.training import ResumableFit, epoch_batches, fingerprint, fit_input

ROOT = Path(__file__).resolve().parents[1]


class Interrupt(Exception):
    pass


class StopAfter(keras.callbacks.Callback):
    """Simulates a kill right after the backup of ``epoch`` (0-based) was written."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch + 1:
            raise Interrupt


def stream(seed, n_batches=3):
    def make(epoch, index):
        rng = np.random.default_rng([seed, epoch, index])
        x = rng.normal(size=(8, 5)).astype("float32")
        return x, (x.sum(1, keepdims=True) > 0).astype("float32")

    return epoch_batches(n_batches, make)


def build():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5,))
    x = keras.layers.Dense(16, activation="relu")(inputs)
    x = keras.layers.Dropout(0.3)(x)  # its seed state must survive a resume
    x = keras.layers.BatchNormalization()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


def run(folder, settings, interrupt_after=None, epochs=5):
    fitter = ResumableFit(folder / "model.keras", folder / "history.csv", folder / "backup",
                          settings, monitor="val_loss", mode="min")
    model = build()
    callbacks = [StopAfter(interrupt_after)] if interrupt_after is not None else []
    fitter.fit(model, stream(1), epochs, validation=stream(2, 2), callbacks=callbacks, verbose=0)
    return fitter, model


def weights(model):
    """Every variable; of a dropout seed state only its counter (the seed part is drawn once per
    process for each new layer, so two models built in one test process differ there)."""
    return [np.asarray(v)[1:] if "seed_generator" in v.path else np.asarray(v)
            for v in model.variables]


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, caplog):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    whole, whole_model = run(tmp_path / "a", {"lr": 0.01})
    with pytest.raises(Interrupt):
        run(tmp_path / "b", {"lr": 0.01}, interrupt_after=1)
    state = json.loads((tmp_path / "b" / "backup" / "state.json").read_text())
    assert state["epoch"] == 2 and [r["epoch"] for r in state["history"]] == [0, 1]
    assert not (tmp_path / "b" / "history.csv").exists()
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        resumed, resumed_model = run(tmp_path / "b", {"lr": 0.01})
    assert "resuming from the backup" in caplog.text and resumed.resumed_from == 2
    a = pd.read_csv(tmp_path / "a" / "history.csv")
    b = pd.read_csv(tmp_path / "b" / "history.csv")
    assert b.epoch.tolist() == [0, 1, 2, 3, 4]  # every epoch once
    pd.testing.assert_frame_equal(a, b)
    assert (whole.best, whole.best_epoch) == (resumed.best, resumed.best_epoch)
    for x, y in zip(weights(whole_model), weights(resumed_model)):
        np.testing.assert_array_equal(x, y)
    best_a = keras.saving.load_model(tmp_path / "a" / "model.keras")
    best_b = keras.saving.load_model(tmp_path / "b" / "model.keras")
    for x, y in zip(weights(best_a), weights(best_b)):
        np.testing.assert_array_equal(x, y)
    assert not (tmp_path / "b" / "backup").exists()


def test_the_optimizer_built_before_fitting_changes_no_number(tmp_path):
    # ResumableFit creates the optimizer's variables eagerly (audiorepro.training.build_optimizer)
    # where Keras' fit would inside its first trace: every weight and optimizer variable after
    # five epochs is what Keras' own fit gives on the same batches
    (tmp_path / "a").mkdir()
    _, ours = run(tmp_path / "a", {"lr": 0.01})
    train, validation = stream(1), stream(2, 2)

    class Epochs(keras.callbacks.Callback):  # the batch streams told the epoch, as ResumableFit does
        def on_epoch_begin(self, epoch, logs=None):
            train.epoch = validation.epoch = epoch

    keras_own = build()
    assert not keras_own.optimizer.built
    keras_own.fit(train, validation_data=validation, epochs=5, shuffle=False, verbose=0,
                  callbacks=[Epochs()])
    assert ours.optimizer.built and len(ours.optimizer.variables) > 2  # Adam's slots too
    for a, b in zip(weights(ours), weights(keras_own), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ours.optimizer.variables, keras_own.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's pipeline")
def test_fit_input_fixes_the_shapes_its_batches_share_and_reads_each_epochs_batches():
    import tensorflow as tf

    fixed = stream(4, n_batches=3)
    pipeline = fit_input(fixed)
    x_spec, y_spec = pipeline.element_spec
    assert x_spec.shape == (8, 5) and y_spec.shape == (8, 1)  # Keras' adapter: (None, 5)
    assert int(pipeline.cardinality()) == 3
    fixed.epoch = 2  # set after the pipeline was made, as ResumableFit does at each epoch
    for index, (x, y) in enumerate(pipeline):
        want_x, want_y = fixed[index]
        np.testing.assert_array_equal(x.numpy(), want_x)
        np.testing.assert_array_equal(y.numpy(), want_y)
    assert index == 2 and not np.array_equal(fixed[0][0], stream(4)[0][0])  # epoch 2, not 0

    def partial(epoch, index):  # a last batch of 3 rows: the batch axis stays unknown
        rows = 3 if index == 2 else 8  # (x, y) as a list, which Keras reads as a tuple
        return [np.zeros((rows, 5), "float32"), {"label": np.zeros((rows, 1), "int32")}]

    x_spec, y_spec = fit_input(epoch_batches(3, partial)).element_spec
    assert x_spec.shape.as_list() == [None, 5] and y_spec["label"].shape.as_list() == [None, 1]
    assert y_spec["label"].dtype == tf.int32
    arrays, empty = (np.zeros((4, 5)), np.zeros(4)), epoch_batches(0, partial)
    assert fit_input(arrays) is arrays  # anything but a PyDataset goes to Keras as it is
    assert fit_input(empty) is empty  # and Keras refuses an empty one with its own message


def test_a_backup_made_under_other_settings_is_discarded_with_a_message(tmp_path, caplog):
    with pytest.raises(Interrupt):
        run(tmp_path, {"lr": 0.01}, interrupt_after=2)
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        fitter, _ = run(tmp_path, {"lr": 0.02}, epochs=2)
    assert "discarding the backup" in caplog.text and "other settings" in caplog.text
    assert fitter.resumed_from == 0
    assert pd.read_csv(tmp_path / "history.csv").epoch.tolist() == [0, 1]


def test_an_incomplete_backup_folder_is_removed(tmp_path, caplog):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "variables.npz").write_bytes(b"half")
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        fitter, _ = run(tmp_path, {"lr": 0.01}, epochs=1)
    assert fitter.resumed_from == 0 and "incomplete backup" in caplog.text


def test_fingerprint_depends_on_every_setting():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def nan_in_epoch(seed, epoch_with_nan, n_batches=2, scale=1.0):
    """A stream whose targets are NaN in one epoch (a broken validation set, say)."""
    def make(epoch, index):
        rng = np.random.default_rng([seed, epoch, index])
        x = rng.normal(size=(8, 5)).astype("float32") * scale
        y = (x.sum(1, keepdims=True) > 0).astype("float32")
        return x, (np.full_like(y, np.nan) if epoch == epoch_with_nan else y)

    return epoch_batches(n_batches, make)


def test_a_nan_validation_epoch_never_freezes_the_best_checkpoint(tmp_path, caplog):
    fitter = ResumableFit(tmp_path / "model.keras", tmp_path / "history.csv", tmp_path / "backup",
                          {"s": 1}, monitor="val_loss", mode="min")
    with caplog.at_level(logging.WARNING, logger="audiorepro"):
        history = fitter.fit(build(), stream(1), 4, validation=nan_in_epoch(2, 0), verbose=0)
    assert np.isnan(history[0]["val_loss"]) and all(np.isfinite(r["val_loss"]) for r in history[1:])
    finite = [r["val_loss"] for r in history[1:]]
    assert fitter.best == min(finite) and fitter.best_epoch == 2 + int(np.argmin(finite))
    assert "val_loss is nan" in caplog.text
    assert fitter.divergence is None  # the training loss stayed finite
    assert (tmp_path / "model.keras").exists()


def test_a_nan_training_loss_stops_training_and_is_reported_as_divergence(tmp_path, caplog):
    fitter = ResumableFit(tmp_path / "model.keras", tmp_path / "history.csv", tmp_path / "backup",
                          {"s": 2}, monitor="val_loss", mode="min")
    with caplog.at_level(logging.WARNING, logger="audiorepro"):
        history = fitter.fit(build(), nan_in_epoch(1, 1), 5, validation=stream(2, 2), verbose=0)
    assert len(history) == 2  # stopped after the epoch whose loss was NaN
    assert fitter.divergence == "the training loss became nan at epoch 2"
    assert fitter.best_epoch == 1 and "training diverged" in caplog.text
    assert (tmp_path / "model.keras").exists()


def test_divergence_names_a_loss_that_blew_up_after_learning():
    from audiorepro.training import divergence

    assert divergence([{"epoch": 0, "loss": 1.0}, {"epoch": 1, "loss": 0.5}]) is None
    grown = [{"epoch": 0, "loss": 0.01}, {"epoch": 1, "loss": 0.005}, {"epoch": 2, "loss": 5e13}]
    assert "grew from its lowest 0.005 to 5e+13" in divergence(grown)
    assert "inf at epoch 1" in divergence([{"epoch": 0, "loss": float("inf")}])


KEEP_SCRIPT = """
import resource, sys
import numpy as np
from audiorepro.rule import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def step():  # a training step's activations: tens of megabytes allocated and freed
    a = np.ones(10_000_000, np.float32)
    b = a * 2
    del a, b
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_memory_a_step_frees_is_kept_for_the_next_step_not_mapped_again():
    def page_faults(mode):
        run = subprocess.run([sys.executable, "-c", KEEP_SCRIPT, mode], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")})
        assert run.returncode == 0, run.stderr
        return int(run.stdout)

    default, kept = page_faults("default"), page_faults("keep")
    # by default every step maps its 80 MB again, page by page (by 2-MB pages at least, where
    # transparent huge pages are on); kept, the heap serves them
    assert default >= 200 and kept < default / 20, (default, kept)
