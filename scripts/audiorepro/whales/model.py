"""AlexNet and GoogLeNet as DIGITS 3's standard Caffe networks define them, in Keras.

Caffe details kept on purpose: pooling rounds its output size up (the last window may overhang
the edge), LRN divides alpha by the window size, AlexNet's conv2/4/5 are two-group convolutions,
and the weight fillers are the prototxt's (AlexNet: Gaussian; GoogLeNet: Xavier). As the study
notes say, images are 256x256 with no crop: DIGITS' prototxts also crop (227 / 224) and mirror
while training, which is not done here, so fc6 sees 7x7 maps instead of 6x6.

:func:`build` is the one mapping from the study's settings to the compiled network that the
training rule trains and the benchmarks time.
"""

import math

import keras
import numpy as np
from keras import ops

from . import solver


# --- Caffe's layers in Keras ---------------------------------------------------------------


def caffe_pooled_size(size, kernel, stride, pad=0):
    """Caffe's pooling output size: rounded up, minus a window that would start in the padding."""
    pooled = int(math.ceil((size + 2 * pad - kernel) / stride)) + 1
    if pad and (pooled - 1) * stride >= size + pad:
        pooled -= 1
    return pooled


@keras.saving.register_keras_serializable(package="audiorepro")
class LRN(keras.layers.Layer):
    """Caffe's ACROSS_CHANNELS LRN: x / (k + alpha/size * sum of x^2 over `size` channels)^beta.

    (TensorFlow's LRN does not divide alpha by the window size.)
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=1.0, **kwargs):
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def call(self, x):
        # the window sums as one product with a band matrix: the same sums as adding `size`
        # shifted copies of the squares (other rounding), with a single matrix product as its
        # gradient, where the shifted copies' gradients cost a third of AlexNet's training
        # step on a CPU
        channels = np.arange(x.shape[-1])
        band = np.abs(channels[:, None] - channels[None, :]) <= self.size // 2
        window = ops.matmul(ops.square(x), ops.convert_to_tensor(band.astype("float32")))
        return x / ops.power(self.k + (self.alpha / self.size) * window, self.beta)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "alpha": self.alpha,
                "beta": self.beta, "k": self.k}


@keras.saving.register_keras_serializable(package="audiorepro")
class GroupedConv2D(keras.layers.Conv2D):
    """Caffe's grouped convolution (``groups`` > 1) as one convolution per group, concatenated.

    The same layer, weights and outputs as ``keras.layers.Conv2D(groups=...)``: input
    channels and filters split into ``groups`` consecutive parts, part g of the filters
    seeing part g of the input. TensorFlow's CPU kernel for a grouped convolution is slow
    (AlexNet's two-group conv2/4/5 made its training step 2.5 times longer); one ordinary
    convolution per group is not. Gradients agree to rounding.
    """

    def convolution_op(self, inputs, kernel):
        if self.groups == 1:
            return super().convolution_op(inputs, kernel)
        axis = -1 if self.data_format == "channels_last" else 1
        parts = zip(ops.split(inputs, self.groups, axis=axis),
                    ops.split(kernel, self.groups, axis=-1))
        return ops.concatenate(
            [ops.conv(x, k, strides=self.strides, padding=self.padding,
                      data_format=self.data_format, dilation_rate=self.dilation_rate)
             for x, k in parts], axis=axis)


@keras.saving.register_keras_serializable(package="audiorepro")
class CaffePool2D(keras.layers.Layer):
    """Max or average pooling with Caffe's ceil rounding and no padding.

    Keras' 'valid' pooling rounds down, which drops Caffe's last, overhanging window: pad
    right and bottom (with -inf for max) before a 'valid' pool. An overhanging average
    divides by the cells it covers, as Caffe's does.
    """

    def __init__(self, pool_size, strides, mode="max", **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.mode = pool_size, strides, mode

    def call(self, x):
        k, s = self.pool_size, self.strides
        out_h, out_w = (caffe_pooled_size(n, k, s) for n in x.shape[1:3])
        extra_h, extra_w = (out_h - 1) * s + k - x.shape[1], (out_w - 1) * s + k - x.shape[2]
        pads = [[0, 0], [0, extra_h], [0, extra_w], [0, 0]]
        if self.mode == "max":
            if extra_h or extra_w:
                x = ops.pad(x, pads, constant_values=float("-inf"))
            return ops.max_pool(x, k, s, padding="valid")
        pooled = ops.average_pool(ops.pad(x, pads), k, s, padding="valid")
        coverage = self._coverage(x.shape[1], x.shape[2], out_h, out_w)
        return pooled * ops.convert_to_tensor(coverage, dtype=pooled.dtype)  # a tensor for torch

    def _coverage(self, height, width, out_h, out_w):
        def along(size, count):
            starts = np.arange(count) * self.strides
            return np.minimum(starts + self.pool_size, size) - starts

        covered = np.outer(along(height, out_h), along(width, out_w))
        return (self.pool_size**2 / covered).astype("float32")[None, :, :, None]

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "strides": self.strides, "mode": self.mode}


def load_model(path):
    """keras.saving.load_model for models holding this module's layers (registered on import)."""
    return keras.saving.load_model(path)


def _channels(count, width, multiple=1):
    """A channel (or unit) count scaled by ``width``, at least ``multiple`` and a multiple of it."""
    return max(multiple, int(round(count * width / multiple)) * multiple)


def _conv(x, filters, kernel, name, stride=1, pad=0, groups=1, init=None):
    """Caffe convolution + ReLU: symmetric zero padding, then a 'valid' convolution."""
    if pad:
        x = keras.layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
    weights, bias = init or ("glorot_uniform", "zeros")
    return GroupedConv2D(filters, kernel, strides=stride, groups=groups, activation="relu",
                         kernel_initializer=weights, bias_initializer=bias, name=name)(x)


def _dense(x, units, name, activation="relu", init=None):
    weights, bias = init or ("glorot_uniform", "zeros")
    return keras.layers.Dense(units, activation=activation, kernel_initializer=weights,
                              bias_initializer=bias, name=name)(x)


# --- AlexNet --------------------------------------------------------------------------------


def _gaussian(std, bias):
    return keras.initializers.RandomNormal(stddev=std), keras.initializers.Constant(bias)


def alexnet(input_shape=(256, 256, 1), num_classes=2, width=1.0, caffe_init=True):
    """DIGITS 3's standard AlexNet (no crop: fc6 sees 7x7 maps for a 256x256 input).

    ``width`` scales every channel and fc size (even counts: conv2/4/5 use two groups).
    ``caffe_init`` uses the prototxt's Gaussian fillers, else Keras' defaults. Inputs need at
    least 63x63 pixels (pool5 must see a 3x3 map).
    """
    c = lambda n: _channels(n, width, multiple=2)  # noqa: E731
    g = _gaussian if caffe_init else (lambda std, bias: None)
    inputs = keras.Input(input_shape, name="data")
    x = _conv(inputs, c(96), 11, "conv1", stride=4, init=g(0.01, 0.0))
    x = CaffePool2D(3, 2, name="pool1")(LRN(name="norm1")(x))
    x = _conv(x, c(256), 5, "conv2", pad=2, groups=2, init=g(0.01, 0.1))
    x = CaffePool2D(3, 2, name="pool2")(LRN(name="norm2")(x))
    x = _conv(x, c(384), 3, "conv3", pad=1, init=g(0.01, 0.0))
    x = _conv(x, c(384), 3, "conv4", pad=1, groups=2, init=g(0.01, 0.1))
    x = _conv(x, c(256), 3, "conv5", pad=1, groups=2, init=g(0.01, 0.1))
    x = keras.layers.Flatten(name="flatten")(CaffePool2D(3, 2, name="pool5")(x))
    x = keras.layers.Dropout(0.5, name="drop6")(_dense(x, c(4096), "fc6", init=g(0.005, 0.1)))
    x = keras.layers.Dropout(0.5, name="drop7")(_dense(x, c(4096), "fc7", init=g(0.005, 0.1)))
    outputs = _dense(x, num_classes, "fc8", activation="softmax", init=g(0.01, 0.0))
    return keras.Model(inputs, outputs, name="alexnet")


# --- GoogLeNet ------------------------------------------------------------------------------

# branch widths: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
POOL_BEFORE = {"4a": "pool3_3x3_s2", "5a": "pool4_3x3_s2"}
GOOGLENET_LOSS_WEIGHTS = {"main": 1.0, "aux1": 0.3, "aux2": 0.3}  # loss3, loss1, loss2 in Caffe


def _xavier(bias):
    """Caffe's Xavier filler (uniform, variance 1/fan_in) and a constant bias."""
    return (keras.initializers.VarianceScaling(1.0, "fan_in", "uniform"),
            keras.initializers.Constant(bias))


def _inception(x, name, widths, width, init):
    b1, r3, b3, r5, b5, bp = (_channels(n, width) for n in widths)
    one = _conv(x, b1, 1, f"{name}_1x1", init=init)
    three = _conv(_conv(x, r3, 1, f"{name}_3x3_reduce", init=init), b3, 3, f"{name}_3x3", pad=1,
                  init=init)
    five = _conv(_conv(x, r5, 1, f"{name}_5x5_reduce", init=init), b5, 5, f"{name}_5x5", pad=2,
                 init=init)
    pool = keras.layers.MaxPooling2D(3, 1, padding="same", name=f"{name}_pool")(x)  # = Caffe pad 1
    proj = _conv(pool, bp, 1, f"{name}_pool_proj", init=init)
    return keras.layers.Concatenate(name=f"{name}_output")([one, three, five, proj])


def _aux_head(x, name, num_classes, width, init, head_init):
    """Training-time classifier on inception 4a / 4d: avg pool 5/3, 1x1 conv 128, fc 1024."""
    kernel = min(5, *x.shape[1:3])  # Caffe would reject maps under 5x5 (small narrow inputs)
    x = CaffePool2D(kernel, 3, mode="avg", name=f"{name}_ave_pool")(x)
    x = _conv(x, _channels(128, width), 1, f"{name}_conv", init=init)
    x = _dense(keras.layers.Flatten(name=f"{name}_flatten")(x), _channels(1024, width),
               f"{name}_fc", init=init)
    x = keras.layers.Dropout(0.7, name=f"{name}_drop_fc")(x)
    return _dense(x, num_classes, name, activation="softmax", init=head_init)


def googlenet(input_shape=(256, 256, 1), num_classes=2, width=1.0, aux_heads=True,
              caffe_init=True):
    """DIGITS 3's standard GoogLeNet (Inception v1), no crop.

    With ``aux_heads`` the model has three softmax outputs ``main``, ``aux1``, ``aux2`` (Caffe's
    loss3, loss1, loss2): compile with one loss per output name and
    ``loss_weights=GOOGLENET_LOSS_WEIGHTS``, fit with the labels under each name, and predict
    with :func:`main_output`. The final 7x7 average pool leaves 2x2 maps for 256x256 inputs (Caffe
    flattens them into the classifier, as here); it shrinks to the map for smaller inputs.
    """
    init = _xavier(0.2) if caffe_init else None
    head_init = _xavier(0.0) if caffe_init else None
    c = lambda n: _channels(n, width)  # noqa: E731
    inputs = keras.Input(input_shape, name="data")
    x = _conv(inputs, c(64), 7, "conv1_7x7_s2", stride=2, pad=3, init=init)
    x = LRN(name="pool1_norm1")(CaffePool2D(3, 2, name="pool1_3x3_s2")(x))
    x = _conv(x, c(64), 1, "conv2_3x3_reduce", init=init)
    x = LRN(name="conv2_norm2")(_conv(x, c(192), 3, "conv2_3x3", pad=1, init=init))
    x = CaffePool2D(3, 2, name="pool2_3x3_s2")(x)
    heads = []
    for block in INCEPTION:
        if block in POOL_BEFORE:
            x = CaffePool2D(3, 2, name=POOL_BEFORE[block])(x)
        x = _inception(x, f"inception_{block}", INCEPTION[block], width, init)
        if aux_heads and block in ("4a", "4d"):
            heads.append(_aux_head(x, f"aux{len(heads) + 1}", num_classes, width, init, head_init))
    kernel = min(7, *x.shape[1:3])
    x = keras.layers.AveragePooling2D(kernel, 1, name="pool5_7x7_s1")(x)
    x = keras.layers.Dropout(0.4, name="pool5_drop")(keras.layers.Flatten(name="flatten")(x))
    main = _dense(x, num_classes, "main", activation="softmax", init=head_init)
    return keras.Model(inputs, [main, *heads] if heads else main, name="googlenet")


def main_output(model):
    """The network without its training-only heads (shares the weights)."""
    if not isinstance(model.output, (list, tuple)):
        return model
    return keras.Model(model.input, model.get_layer("main").output, name=f"{model.name}_main")


# --- the study's model from its settings ------------------------------------------------------

NETWORKS = {"alexnet": alexnet, "googlenet": googlenet}


def build(model_cfg, training_cfg):
    """The network a sweep member trains, compiled with DIGITS' solver: the compiled model only.

    ``model_cfg``: ``net`` (``alexnet`` or ``googlenet``, the rule's wildcard), ``width`` and
    ``init`` (``whales.width``, ``whales.init``: ``caffe`` for the prototxts' fillers, anything
    else for Keras' defaults) and ``input_shape`` (the squashed images' (H, W, 1)).
    ``training_cfg``: ``whales.training``, of which ``epochs``, ``momentum``, ``weight_decay``,
    ``lr_step_fraction`` and ``lr_gamma`` are read, plus ``learning_rate`` (the base rate, the
    rule's ``rate`` wildcard as a float) and ``steps_per_epoch`` (batches in one training epoch):
    the step-down schedule spans ``epochs * steps_per_epoch`` steps. Other keys are ignored.

    Two classes; GoogLeNet keeps its auxiliary heads, weighted as in Caffe
    (:data:`GOOGLENET_LOSS_WEIGHTS`). The output names to label batches with and the
    validation accuracy to monitor are :func:`solver.classifier_outputs` of the result.
    """
    net = model_cfg["net"]
    if net not in NETWORKS:
        raise ValueError(f"unknown network {net!r}: one of {', '.join(NETWORKS)}")
    network = NETWORKS[net](tuple(model_cfg["input_shape"]), num_classes=2,
                            width=model_cfg["width"], caffe_init=model_cfg["init"] == "caffe")
    t = training_cfg
    optimizer = solver.solver(float(t["learning_rate"]), t["epochs"] * t["steps_per_epoch"],
                              t["momentum"], t["weight_decay"], t["lr_step_fraction"],
                              t["lr_gamma"])
    solver.compile_classifier(network, optimizer, GOOGLENET_LOSS_WEIGHTS)
    return network
