"""The notebook's 10-layer 1-D CNN, trained with SGD on random 1-s windows."""

import keras
from keras import layers


def conv1d_classifier(window, blocks, filters, kernel_size, strides):
    """blocks x [Conv1D -> BatchNorm -> ReLU] -> GlobalAveragePooling1D -> Dense(1, sigmoid).

    With the original's settings (10 blocks of 10 filters, kernel 4, stride 2) it has 4,151
    parameters, 3,951 trainable.
    """
    inputs = keras.Input((window, 1), name="audio")
    x = inputs
    for block in range(1, blocks + 1):
        x = layers.Conv1D(filters, kernel_size, strides=strides, padding="same", name=f"conv_{block}")(x)
        x = layers.BatchNormalization(name=f"bn_{block}")(x)
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
