"""The sorter of the post (no public code; built from its text).

A chunk encoder, shared by every chunk: Dense 1000 -> Dense 1000 -> Dense(encoding). The sorter
on the n encodings concatenated: Dense 1000 -> Dense 1000 -> Dense 200 -> n x n logits, one
softmax per place ("which shuffled chunk goes at place k", the label convention of
:mod:`audiorepro.sorting.data`). Batch normalisation on every hidden layer ("most layers": all
but the output), ReLU after it. Loss: cross-entropy per place; accuracy: per-place correctness
(chance 1/n) and whole-permutation correctness.

Parameter count (Dense with bias, BatchNormalization with 4 weights per unit, 2 of them
trainable), for chunk length L, encoder widths h1, h2, encoding e, sorter widths s1, s2, s3 and
n chunks::

    (L + 1) h1 + (h1 + 1) h2 + (h2 + 1) e + (n e + 1) s1 + (s1 + 1) s2 + (s2 + 1) s3
    + (s3 + 1) n^2 + 4 (h1 + h2 + e + s1 + s2 + s3)       [without batch norm: drop the last term]

:func:`build` is the one mapping from settings to the model (the training rule and
``scripts/bench_models.py`` call it); :func:`sorter_model` is the same model by arguments.
"""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="audiorepro")
def permutation_accuracy(y_true, y_pred):
    """1 for a sample whose every place is predicted right (per-place argmax), else 0."""
    predicted = ops.argmax(y_pred, axis=-1)
    truth = ops.cast(ops.reshape(y_true, ops.shape(predicted)), "int32")
    right = ops.equal(ops.cast(predicted, "int32"), truth)
    return ops.cast(ops.all(right, axis=-1), "float32")


def _block(x, units, name, batch_norm):
    """Dense (shared over the chunk axis when x is 3-D), then batch norm, then ReLU."""
    x = layers.Dense(units, name=name)(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def sorter_model(n_chunks, chunk_len, encoding, encoder_hidden=(1000, 1000),
                 sorter_hidden=(1000, 1000, 200), batch_norm=True, learning_rate=1e-3):
    """The compiled sorter: input (batch, n_chunks, chunk_len) floats, output (batch, n_chunks,
    n_chunks) probabilities (softmax over the last axis). Defaults are the post's sizes.

    The encoder's Dense layers act on the last axis, so their weights are shared by all chunks
    (and its batch norm pools statistics over batch and chunks). Optimiser: Adam (the post does
    not name one). Metrics: ``accuracy`` (per place) and ``permutation_accuracy``.
    """
    inputs = keras.Input((n_chunks, chunk_len), name="chunks")
    x = inputs
    for i, units in enumerate(encoder_hidden, start=1):
        x = _block(x, units, f"encoder_{i}", batch_norm)
    x = _block(x, encoding, "encoding", batch_norm)
    x = layers.Reshape((n_chunks * encoding,), name="concatenate")(x)
    for i, units in enumerate(sorter_hidden, start=1):
        x = _block(x, units, f"sorter_{i}", batch_norm)
    x = layers.Dense(n_chunks * n_chunks, name="logits")(x)
    x = layers.Reshape((n_chunks, n_chunks), name="places")(x)
    outputs = layers.Softmax(axis=-1, name="order")(x)
    model = keras.Model(inputs, outputs, name=f"sorter_{n_chunks}x{chunk_len}_e{encoding}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                 keras.metrics.MeanMetricWrapper(permutation_accuracy,
                                                 name="permutation_accuracy")],
    )
    return model


# What build() reads from its model settings: the config's ``sorting.model`` (learning rate
# included) and the grid point's input shape.
MODEL_KEYS = ("n_chunks", "chunk_len", "encoding", "encoder_hidden", "sorter_hidden", "batch_norm",
              "learning_rate")


def build(model_cfg, training_cfg=None):
    """The compiled sorter of one grid point (:func:`sorter_model`) from its settings.

    ``model_cfg``: the config's ``sorting.model`` (``encoder_hidden``, ``sorter_hidden``,
    ``batch_norm``, ``learning_rate``) plus the grid point's input shape: ``n_chunks`` and
    ``encoding`` (the point's own) and ``chunk_len``, the point's ``sample_length`` in samples
    at the study's rate (``data.samples_of(sample_length, rate)``). Other keys are ignored.
    ``training_cfg`` (``sorting.training``: batch size, epochs, seed) is not read: this study
    keeps its learning rate under ``model``. A missing key is a ValueError naming it.
    """
    missing = [k for k in MODEL_KEYS if k not in model_cfg]
    if missing:
        raise ValueError(f"sorting model settings lack {', '.join(missing)}")
    return sorter_model(model_cfg["n_chunks"], model_cfg["chunk_len"], model_cfg["encoding"],
                        model_cfg["encoder_hidden"], model_cfg["sorter_hidden"],
                        model_cfg["batch_norm"], model_cfg["learning_rate"])


def encoder_of(model):
    """The trained chunk encoder as its own model: (batch, n_chunks, chunk_len) -> (batch,
    n_chunks, encoding); what the post meant to "chop off" and reuse."""
    return keras.Model(model.input, model.get_layer("encoding_relu").output, name="chunk_encoder")


def parameter_count(n_chunks, chunk_len, encoding, encoder_hidden=(1000, 1000),
                    sorter_hidden=(1000, 1000, 200), batch_norm=True):
    """The model's total parameter count by the formula in this module's docstring."""
    widths = [chunk_len, *encoder_hidden, encoding]
    total = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    widths = [n_chunks * encoding, *sorter_hidden, n_chunks * n_chunks]
    total += sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    if batch_norm:
        total += 4 * (sum(encoder_hidden) + encoding + sum(sorter_hidden))
    return int(total)
