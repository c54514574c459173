"""scrynet's next-sample network and its no-LSTM baseline, and the models that read their units.

Both take a sequence of windows (batch, steps, window) and give 128 mu-law logits per step.
scrynet's head is ``tf.contrib.layers.fully_connected``, whose default activation is ReLU, used for
every layer including the last: the "logits" are ReLU outputs. We keep that, and its weight
initialiser (truncated normal, stddev 0.1, zero bias).
"""

import keras
from keras import layers

UNITS_LAYER = "units"  # the layer whose outputs are the "units" we compare with whistles


def _init(seed, i):
    return keras.initializers.TruncatedNormal(stddev=0.1, seed=None if seed is None else seed + i)


def _head(x, hidden, classes, seed):
    for i, size in enumerate(hidden):
        x = layers.Dense(size, activation="relu", kernel_initializer=_init(seed, i + 1),
                         name=f"fc_{i + 1}")(x)
    # ReLU on the logits too, as the original code (fully_connected's default activation)
    return layers.Dense(classes, activation="relu", kernel_initializer=_init(seed, 0),
                        name="logits")(x)


def _compile(model, learning_rate, jit_compile):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit_compile)
    return model


def lstm_model(window=16, units=64, hidden=(512,), classes=128, batch_size=None, stateful=True,
               learning_rate=1e-4, seed=None, jit_compile="auto"):
    """scrynet: LSTM(units, forget bias 1) on the windows; concat[window, LSTM output] ->
    Dense(hidden...) -> Dense(classes), ReLU on all of them; sparse softmax cross-entropy from
    the logits, Adam(learning_rate). Compiled.

    Stateful (the default) carries the LSTM state from one batch to the next, which is how
    truncated BPTT continues a segment across updates: give ``batch_size`` and reset the state
    at each epoch start with :class:`ResetStates`. Parameters with the original's sizes: LSTM
    4 * (64 * (16 + 64) + 64) = 20,736; Dense 80 -> 512: 41,472; Dense 512 -> 128: 65,664;
    total 127,872.
    """
    inputs = keras.Input((None, window), batch_size=batch_size, name="windows")
    # On the torch backend the fused LSTM kernel keeps the initial state that a stateful layer
    # then updates in place, which breaks the backward pass (keras-team/keras#23462); Keras'
    # step-by-step path copies the state first.
    fused = "auto" if keras.backend.backend() != "torch" else False
    lstm = layers.LSTM(units, return_sequences=True, stateful=stateful, unit_forget_bias=True,
                       seed=seed, use_cudnn=fused, name=UNITS_LAYER)(inputs)
    x = layers.Concatenate(name="stack_raw_audio")([inputs, lstm])
    model = keras.Model(inputs, _head(x, hidden, classes, seed), name="orcas_lstm")
    return _compile(model, learning_rate, jit_compile)


def baseline_model(window=16, hidden=(512,), classes=128, batch_size=None, learning_rate=1e-4,
                   seed=None, jit_compile="auto"):
    """scrynet with ``n_lstm_layers: 0``: the "LSTM output" is the window itself, so the head
    sees concat[window, window] (32 values) -> Dense(hidden...) -> Dense(classes), ReLU on all.
    Trained the same way. Original sizes: 16,896 + 65,664 = 82,560 parameters. Its "units" are
    the first hidden layer's (512): like the LSTM, the first layer that reads the raw window.
    """
    inputs = keras.Input((None, window), batch_size=batch_size, name="windows")
    x = layers.Concatenate(name="stack_raw_audio")([inputs, inputs])
    model = keras.Model(inputs, _head(x, hidden, classes, seed), name="orcas_baseline")
    return _compile(model, learning_rate, jit_compile)


BUILDERS = {"lstm": lstm_model, "baseline": baseline_model}


def build(model_cfg, training_cfg):
    """The network the training rule trains and the benchmarks time, compiled: stateful, for
    batches of ``training_cfg["batch_size"]``, XLA off (it makes this CPU training slower).

    ``model_cfg`` is ``orcas.model`` (``window``, ``units``, ``hidden``, ``classes``) plus the
    key ``network``: ``"lstm"`` (:func:`lstm_model`) or ``"baseline"`` (:func:`baseline_model`,
    which has no ``units``), the rule's wildcard. ``training_cfg`` is ``orcas.training`` with its
    seed, of which ``batch_size``, ``learning_rate`` and ``seed`` are read.
    """
    network = model_cfg["network"]
    if network not in BUILDERS:
        raise ValueError(f"orcas network {network!r}: expected one of {', '.join(BUILDERS)}")
    sizes = dict(window=model_cfg["window"], hidden=model_cfg["hidden"],
                 classes=model_cfg["classes"])
    if network == "lstm":
        sizes["units"] = model_cfg["units"]
    return BUILDERS[network](**sizes, batch_size=training_cfg["batch_size"],
                             learning_rate=training_cfg["learning_rate"],
                             seed=training_cfg["seed"], jit_compile=False)


def has_lstm(model):
    """True for :func:`lstm_model` networks, False for the baseline."""
    return any(isinstance(layer, layers.LSTM) for layer in model.layers)


def unit_layer(model):
    """The layer whose outputs are compared with whistles: the LSTM, or the baseline's first
    hidden Dense layer."""
    return model.get_layer(UNITS_LAYER) if has_lstm(model) else model.get_layer("fc_1")


def n_units(model):
    """How many units :func:`unit_layer` has."""
    layer = unit_layer(model)
    return layer.units


@keras.saving.register_keras_serializable(package="audiorepro")
class EveryNth(layers.Layer):
    """Keep steps n-1, 2n-1, ... of a (batch, steps, features) sequence: the last of each group
    of n, as scrynet's scan kept the last output of each 16-step call."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, x):
        return x[:, self.n - 1::self.n, :]

    def compute_output_shape(self, shape):
        steps = None if shape[1] is None else shape[1] // self.n
        return (shape[0], steps, shape[2])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def unit_reader(model, keep_every=1):
    """A stateless model reading ``model``'s units, any batch size.

    LSTM: inputs [windows (batch, steps, window), h0, c0 (batch, units)] -> [every
    ``keep_every``-th output (batch, steps // keep_every, units), h, c]: the state goes in and
    out, so a long scan is done in pieces. Baseline: windows -> first hidden layer's outputs
    (batch, steps // keep_every, units) (no state). The weights are copied from ``model``.
    """
    source = unit_layer(model)
    window = model.input_shape[-1]
    windows = keras.Input((None, window), name="windows")
    if not has_lstm(model):
        kept = EveryNth(keep_every)(windows) if keep_every > 1 else windows
        x = layers.Concatenate()([kept, kept])
        dense = layers.Dense(source.units, activation=source.activation, name="units")
        out = dense(x)
        dense.set_weights(source.get_weights())
        return keras.Model(windows, out, name="baseline_units")
    h0 = keras.Input((source.units,), name="h0")
    c0 = keras.Input((source.units,), name="c0")
    config = {**source.get_config(), "stateful": False, "return_state": True,
              "return_sequences": True, "name": "units"}
    lstm = layers.LSTM.from_config(config)
    seq, h, c = lstm(windows, initial_state=[h0, c0])
    lstm.set_weights(source.get_weights())
    out = EveryNth(keep_every)(seq) if keep_every > 1 else seq
    return keras.Model([windows, h0, c0], [out, h, c], name="lstm_units")


class ResetStates(keras.callbacks.Callback):
    """At the start of each epoch (a new set of segments), zero every stateful RNN's state and,
    given ``stream``, set ``stream.epoch`` to Keras' epoch number (what the shared trainer does
    too), so a plain ``model.fit(stream, shuffle=False, callbacks=[ResetStates(stream)])``
    draws new segments every epoch. ``shuffle=False`` is required: Keras would otherwise
    shuffle the updates of a segment out of order."""

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream

    def on_epoch_begin(self, epoch, logs=None):
        if self.stream is not None:
            self.stream.epoch = epoch
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()
