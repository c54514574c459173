"""The original's network: 3 x LSTM(600) -> Dense(frame, linear) at every step, MSE, RMSprop.

The original (``vocal_synthesis/configurations/19feb_testing_d.py``) is Lasagne: three
``LSTMLayer(num_units=600)`` with every default, then a ``DenseLayer(num_units=16000,
nonlinearity=linear)`` applied to each time step (reshape to (batch * steps, 600) and back, which
is what a Keras Dense on a 3-D tensor does). ``count_params`` printed 55,232,200.

Where Keras' LSTM gives 55,223,200, 9,000 fewer: Lasagne's LSTMLayer has, by default,
  * peephole connections (``peepholes=True``): a vector of ``units`` weights from the cell to
    each of the input, forget and output gates, 3 x 600 per layer;
  * its initial hidden and cell states as parameters (``hid_init``, ``cell_init``, shape
    (1, 600) each, zeros, not trained since ``learn_init=False``, but counted by
    ``lasagne.layers.count_params``, which counts every parameter unless asked for tags),
    2 x 600 per layer.
That is 5 x 600 = 3,000 per layer, 9,000 for three. :class:`LasagneLSTMCell` is Lasagne's LSTM
(its equations, its initialisation: N(0, 0.1) weights, zero biases, no forget-gate bias of 1),
with hid_init and cell_init as non-trainable weights, so ``cell="lasagne"`` (the default) has
the original's 55,232,200 parameters, 3,600 of them non-trainable. ``cell="keras"`` builds the
standard ``keras.layers.LSTM`` instead (no peepholes, 55,223,200 parameters, cuDNN on a GPU).
"""

import keras
from keras import layers, ops

ORIGINAL_PARAMETERS = 55_232_200  # the original's count_params at frame 16000, 3 x 600 units
CELLS = ("lasagne", "keras")
# rmsprop: the original's. adam: on real-like music and speech at the default configuration's
# size, RMSprop (lr 0.01 to 0.00001, with or without gradient clipping) stays above predicting
# zero for 60 epochs, while Adam (lr 0.001) gets below it (see config/README.md).
OPTIMIZERS = ("rmsprop", "adam")


@keras.saving.register_keras_serializable(package="audiorepro")
class LasagneLSTMCell(layers.Layer):
    """One step of Lasagne's ``LSTMLayer`` (peepholes on, as its default):

        i = sigmoid(x W_xi + h W_hi + b_i + w_ci * c)
        f = sigmoid(x W_xf + h W_hf + b_f + w_cf * c)
        c' = f * c + i * tanh(x W_xc + h W_hc + b_c)
        o = sigmoid(x W_xo + h W_ho + b_o + w_co * c')
        h' = o * tanh(c')

    The four gates' weights are stored side by side (i, f, c, o), as in Keras' LSTMCell.
    ``hid_init`` and ``cell_init`` are the initial states (zeros, not trained). Returns
    ``(h', [h', c'])`` like every Keras RNN cell, so ``keras.layers.RNN`` runs it.
    """

    def __init__(self, units, peepholes=True, init_stddev=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.peepholes = bool(peepholes)
        self.init_stddev = float(init_stddev)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        u = self.units
        normal = keras.initializers.RandomNormal(stddev=self.init_stddev)
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * u), initializer=normal,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), initializer=normal,
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * u,), initializer="zeros", name="bias")
        if self.peepholes:
            self.w_cell_to_ingate = self.add_weight(shape=(u,), initializer=normal,
                                                    name="w_cell_to_ingate")
            self.w_cell_to_forgetgate = self.add_weight(shape=(u,), initializer=normal,
                                                        name="w_cell_to_forgetgate")
            self.w_cell_to_outgate = self.add_weight(shape=(u,), initializer=normal,
                                                     name="w_cell_to_outgate")
        self.hid_init = self.add_weight(shape=(1, u), initializer="zeros", trainable=False,
                                        name="hid_init")
        self.cell_init = self.add_weight(shape=(1, u), initializer="zeros", trainable=False,
                                         name="cell_init")

    def call(self, inputs, states, training=False):
        h, c = states
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        if self.peepholes:
            zi = zi + self.w_cell_to_ingate * c
            zf = zf + self.w_cell_to_forgetgate * c
        i = ops.sigmoid(zi)
        f = ops.sigmoid(zf)
        c_new = f * c + i * ops.tanh(zc)
        if self.peepholes:
            zo = zo + self.w_cell_to_outgate * c_new
        h_new = ops.sigmoid(zo) * ops.tanh(c_new)
        return h_new, [h_new, c_new]

    def get_initial_state(self, batch_size=None):
        """hid_init and cell_init repeated over the batch (the layer's learn_init=False states)."""
        shape = (batch_size, self.units)
        return [ops.broadcast_to(self.hid_init, shape), ops.broadcast_to(self.cell_init, shape)]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "peepholes": self.peepholes,
                "init_stddev": self.init_stddev}


def recurrent_layer(units, cell="lasagne", name=None):
    """One LSTM layer returning every step: Lasagne's (``cell="lasagne"``) or Keras' own."""
    if cell == "lasagne":
        return layers.RNN(LasagneLSTMCell(units, name=f"{name}_cell" if name else None),
                          return_sequences=True, name=name)
    if cell == "keras":
        return layers.LSTM(units, return_sequences=True, name=name)
    raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")


def continuation_model(frame, units=600, layers=3, *, cell="lasagne", learning_rate=0.01,
                       rho=0.9, epsilon=1e-6, output_activation="linear", seq_len=None,
                       optimizer="rmsprop"):
    """The compiled network: ``layers`` x LSTM(``units``) -> Dense(``frame``) at every step.

    Input (batch, steps, frame), output (batch, steps, frame): the prediction of the next frame
    at every step. ``seq_len`` None leaves the number of steps free (generation feeds growing
    sequences). Loss: mean squared error; ``optimizer`` ``rmsprop`` (the original's):
    RMSprop(learning_rate, rho, epsilon) with Lasagne's rmsprop defaults (rho 0.9, epsilon 1e-6;
    the update lr * g / sqrt(E[g^2] + eps) is the same in both); ``adam``: Adam(learning_rate)
    with Keras' defaults (see :data:`OPTIMIZERS`). At frame=16000, units=600, layers=3 it has
    :data:`ORIGINAL_PARAMETERS` parameters with ``cell="lasagne"`` (see the module docstring).
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    depth = layers
    inputs = keras.Input((seq_len, frame), name="frames")
    x = inputs
    for k in range(1, depth + 1):
        x = recurrent_layer(units, cell, name=f"lstm_{k}")(x)
    outputs = keras.layers.Dense(frame, activation=output_activation, name="next_frame")(x)
    model = keras.Model(inputs, outputs, name=f"continuation_{cell}")
    if optimizer == "adam":
        chosen = keras.optimizers.Adam(learning_rate)
    else:
        chosen = keras.optimizers.RMSprop(learning_rate, rho=rho, epsilon=epsilon)
    model.compile(optimizer=chosen, loss="mean_squared_error")
    return model


def build(model_cfg, training_cfg):
    """The compiled network the training rule trains: :func:`continuation_model` of the
    ``continuation.model`` settings (``frame``, ``units``, ``layers``, ``cell``; ``seq_len`` is
    not an input shape here: the number of steps stays free, as generation needs) and the
    ``continuation.training`` ones (``learning_rate``; ``optimizer``, ``rmsprop`` when absent)."""
    m, t = model_cfg, training_cfg
    return continuation_model(m["frame"], m["units"], m["layers"], cell=m["cell"],
                              learning_rate=t["learning_rate"],
                              optimizer=t.get("optimizer", "rmsprop"))


def paper_size_parameters(cell="lasagne"):
    """The parameters of the original's network (frame 16000, 3 x LSTM(600)) built with
    ``cell``, by formula (:func:`parameter_breakdown`): what claim N4's timing was measured on."""
    return parameter_breakdown(16000, 600, 3, cell)["total"]


def parameter_breakdown(frame, units=600, layers=3, cell="lasagne"):
    """Parameter count by formula, per layer and in total, without building anything.

    Per LSTM layer: 4 gates x (inputs x units + units x units + units); ``lasagne`` adds
    3 x units peephole weights and 2 x units initial states (non-trainable). The output layer:
    units x frame + frame.
    """
    rows, n_in = {}, frame
    for k in range(1, layers + 1):
        gates = 4 * (n_in * units + units * units + units)
        extra = 5 * units if cell == "lasagne" else 0
        rows[f"lstm_{k}"] = gates + extra
        n_in = units
    rows["next_frame"] = units * frame + frame
    non_trainable = 2 * units * layers if cell == "lasagne" else 0
    total = sum(rows.values())
    return {"layers": rows, "total": total, "trainable": total - non_trainable,
            "non_trainable": non_trainable}


def load_model(path, compile=True):
    """Load a saved continuation model (the custom cell is registered on import of this module);
    ``compile=False`` for generation only."""
    return keras.saving.load_model(path, compile=compile)
