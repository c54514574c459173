"""Every figure of "Classifying sounds and peeling the layers", one function each.

The notebook ``reports/catsdogs.ipynb`` draws each under its name in :data:`FIGURES` through
:class:`audiorepro.plots.Drawer`; the rule file and the tests read the same names
(``plots.figure_files(FIGURES, k=range(1, blocks + 1))``: one ``activ_k.png`` per block).
"""

import numpy as np
import pandas as pd

from .. import plots

NAMES = {0: "cat", 1: "dog"}


def audio_beginning(pack, split_table):
    """2x2 raw waveforms: two dogs and two cats of the training files, titled by label."""
    train = split_table[split_table.split == "train"]
    shown = pd.concat([train[train.label == 1].head(2), train[train.label == 0].head(2)])
    return plots.line_panels([pack.clip(f) for f in shown.file], ncols=2,
                             titles=[f"{f}  (label {lab}, {NAMES[lab]})"
                                     for f, lab in zip(shown.file, shown.label)],
                             xlabel="sample (16 kHz)")


def model_acc(history):
    """Training and validation accuracy per epoch."""
    return plots.curves({"train": history.accuracy, "validation": history.val_accuracy},
                        "model accuracy", ylabel="accuracy")


def model_summary(net):
    """Keras' summary of the model as text."""
    lines = []
    net.summary(print_fn=lambda line, line_break=True: lines.append(line), line_length=100)
    return "\n".join(lines)


def dog_main_ex(segment, row):
    """The example dog segment."""
    return plots.line_panels([segment], ncols=1, titles=[f"{row.file}, second {row.segment + 1}"],
                             xlabel="sample", figsize=(10, 3))


def predict_dog_test(row, probability):
    """The model's probability that the example segment is a dog, as text."""
    return f"{row.file} second {row.segment + 1}: P(dog) = {probability:.4f} ({probability:.0%})"


def activation(block_output, k):
    """Convolutional block ``k``'s output for the segment (``block_output``: the layer probe's
    output for a batch of that one segment), one panel per filter."""
    act = block_output[0]
    return plots.line_panels(
        [act[:, f] for f in range(act.shape[1])], ncols=2,
        titles=[f"filter {f + 1}" for f in range(act.shape[1])],
        suptitle=f"activation of convolutional block {k} (length {act.shape[0]})")


def pooling(pooled, row):
    """The global-average-pooling outputs the sigmoid sees for one segment."""
    title = (f"global average pooling: {row.file}, second {row.segment + 1} "
             f"(P(dog) = {row.probability:.2f})")
    return plots.bars(np.asarray(pooled), title)


def sigmoid_weights(net):
    """The dense layer's weights, its bias in the title."""
    weights, bias = net.get_layer("sigmoid").get_weights()
    return plots.bars(weights[:, 0], f"sigmoid weights (bias {bias[0]:.3f})", ylabel="weight")


def filter_weights(net):
    """The first layer's kernels, one panel per filter."""
    kernels = net.get_layer("conv_1").get_weights()[0]  # (taps, 1, filters)
    return plots.line_panels([kernels[:, 0, f] for f in range(kernels.shape[2])], ncols=2,
                             titles=[f"filter {f + 1}" for f in range(kernels.shape[2])],
                             suptitle=f"first-layer filter weights ({kernels.shape[0]} taps each)",
                             xlabel="tap")


# the original's file names, in the order the notebook draws them (one activ_k per block)
FIGURES = {
    "audio_beginning.png": audio_beginning,
    "model_acc.png": model_acc,
    "model_summary.txt": model_summary,
    "dog_main_ex.png": dog_main_ex,
    "predict_dog_test.txt": predict_dog_test,
    "activ_{k}.png": activation,
    "dog_main_pooling_output.png": pooling,
    "global_pooling_second_dog.png": pooling,
    "global_pooling_cat_1.png": pooling,
    "sigmoid_weights.png": sigmoid_weights,
    "filter_weights.png": filter_weights,
}
