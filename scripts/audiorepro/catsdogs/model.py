"""The notebook's 10-layer 1-D CNN, trained with SGD on random 1-s windows."""

import keras
from keras import layers, ops

# A folded view at most this wide (positions x channels): wide enough that TensorFlow's CPU
# kernels broadcast the per-channel vectors fast, measured flat from 160 to 1,280
FOLDED_WIDTH = 512


def fold_factor(length, channels, width=FOLDED_WIDTH):
    """The largest divisor k of ``length`` with ``k * channels <= width`` (1: no fold)."""
    if length is None or channels is None:
        return 1
    return max(k for k in range(1, max(1, width // channels) + 1) if length % k == 0)


@keras.saving.register_keras_serializable(package="audiorepro")
class FoldedBatchNormalization(layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` over the channels of a (batch, length, channels)
    input, its arithmetic done on a folded view: k consecutive positions side by side,
    (batch, length / k, k * channels), the channel statistics and the scale and shift tiled k
    times.

    The same layer, weights, statistics and outputs as Keras' own, with other rounding (the
    mean is a mean of k partial means). On a CPU TensorFlow broadcasts a vector of 10 channels
    along a long tensor slowly (3.5 ns an element, several times a plain elementwise op), and
    batch normalisation is six such broadcasts forward and back: the notebook's model spent 36
    of its 52 ms training step in its ten BatchNormalization layers, and 16 in everything else.
    A length with no divisor that fits, a mask or renormalisation use Keras' own arithmetic.
    """

    def call(self, inputs, training=None, mask=None):
        length, channels = inputs.shape[1], inputs.shape[-1]
        k = fold_factor(length, channels) if len(inputs.shape) == 3 else 1
        if (k == 1 or mask is not None or self.renorm
                or self.axis not in (-1, len(inputs.shape) - 1)):
            return super().call(inputs, training=training, mask=mask)
        x = ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        folded = ops.reshape(x, (-1, length // k, k * channels))

        def per_channel(values):  # the k positions' (k * channels,) means -> (channels,)
            return ops.mean(ops.reshape(values, (k, channels)), axis=0)

        if training and self.trainable:
            mean = per_channel(ops.mean(folded, axis=(0, 1)))
            # as Keras' moments: the variance about the mean, no gradient through the mean
            centred = folded - ops.stop_gradient(ops.tile(mean, [k]))
            variance = per_channel(ops.mean(ops.square(centred), axis=(0, 1)))
            self.moving_mean.assign(self.moving_mean * self.momentum
                                    + ops.cast(mean, self.moving_mean.dtype) * (1.0 - self.momentum))
            self.moving_variance.assign(
                self.moving_variance * self.momentum
                + ops.cast(variance, self.moving_variance.dtype) * (1.0 - self.momentum))
        else:
            mean = ops.cast(self.moving_mean, x.dtype)
            variance = ops.cast(self.moving_variance, x.dtype)
        # as TensorFlow's batch_normalization: x * inv + (beta - mean * inv)
        inv = ops.rsqrt(variance + self.epsilon)
        if self.scale:
            inv = inv * ops.cast(self.gamma, x.dtype)
        shift = -mean * inv
        if self.center:
            shift = ops.cast(self.beta, x.dtype) + shift
        outputs = folded * ops.tile(inv, [k]) + ops.tile(shift, [k])
        return ops.cast(ops.reshape(outputs, (-1, length, channels)), self.compute_dtype)


def conv1d_classifier(window, blocks, filters, kernel_size, strides):
    """blocks x [Conv1D -> BatchNorm -> ReLU] -> GlobalAveragePooling1D -> Dense(1, sigmoid),
    the batch normalisation :class:`FoldedBatchNormalization` (Keras' own, computed faster).

    With the original's settings (10 blocks of 10 filters, kernel 4, stride 2) it has 4,151
    parameters, 3,951 trainable.
    """
    inputs = keras.Input((window, 1), name="audio")
    x = inputs
    for block in range(1, blocks + 1):
        x = layers.Conv1D(filters, kernel_size, strides=strides, padding="same", name=f"conv_{block}")(x)
        x = FoldedBatchNormalization(name=f"bn_{block}")(x)
        x = layers.Activation("relu", name=f"activ_{block}")(x)
    x = layers.GlobalAveragePooling1D(name="global_pooling")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="sigmoid")(x)
    return keras.Model(inputs, outputs, name="catsdogs_conv1d")


def build(model_cfg, training_cfg):
    """The study's model from its settings, compiled as the notebook did (SGD, binary
    cross-entropy, accuracy): what the training rule trains and the benchmarks time.

    ``model_cfg`` is ``catsdogs.model`` (``blocks``, ``filters``, ``kernel_size``, ``strides``:
    :func:`conv1d_classifier`'s settings); ``training_cfg`` is ``catsdogs.training``, of which
    ``window`` (the input length in samples) and ``learning_rate`` are read.
    """
    net = conv1d_classifier(training_cfg["window"], **model_cfg)
    net.compile(optimizer=keras.optimizers.SGD(training_cfg["learning_rate"]),
                loss="binary_crossentropy", metrics=["accuracy"])
    return net


def layer_probe(net):
    """A model giving every block's activation and the global pooling output for a segment."""
    blocks = [layer for layer in net.layers if layer.name.startswith("activ_")]
    return keras.Model(net.inputs, [layer.output for layer in blocks]
                       + [net.get_layer("global_pooling").output])
