"""How DIGITS 3 trained an image classifier, in Keras: mean-subtracted batches, SGD with momentum
and weight decay, and the "step down" learning-rate policy (x gamma every step_fraction of the run).
"""

import keras
import numpy as np

from ..training import epoch_batches


def step_down_schedule(learning_rate, total_steps, step_fraction, gamma):
    """DIGITS' default policy: the rate drops by ``gamma`` after every ``step_fraction`` of training."""
    step = max(1, int(round(step_fraction * total_steps)))
    boundaries = list(range(step, total_steps, step))
    values = [learning_rate * gamma**i for i in range(len(boundaries) + 1)]
    if not boundaries:
        return learning_rate
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)


def solver(learning_rate, total_steps, momentum, weight_decay, step_fraction, gamma):
    """Caffe's SGD solver as DIGITS configured it.

    Keras applies weight decay to the weights directly (w -= lr * decay * w), which for plain SGD
    is Caffe's L2 term; with momentum the two differ only in whether the decay passes through it.
    """
    schedule = step_down_schedule(learning_rate, total_steps, step_fraction, gamma)
    return keras.optimizers.SGD(schedule, momentum=momentum, weight_decay=weight_decay)


def image_batches(images, labels, mean, batch_size, seed=None, outputs=None):
    """A Keras PyDataset of (image - mean image, label) batches; shuffled each epoch when seeded.

    ``images`` are the squashed uint8 images (n, H, W, 1) held once in memory; the float batch
    is made per step, so a 27,000-image paper run needs 1.7 GB, not 7 GB. ``outputs`` names the
    model's outputs when it has several (GoogLeNet's auxiliary heads get the same labels).
    """
    labels = np.asarray(labels, np.int32)
    mean = np.asarray(mean, np.float32)
    n_batches = int(np.ceil(len(labels) / batch_size))

    def make_batch(epoch, index):
        order = (np.arange(len(labels)) if seed is None
                 else np.random.default_rng([seed, epoch]).permutation(len(labels)))
        rows = np.sort(order[index * batch_size: (index + 1) * batch_size])
        x = images[rows].astype(np.float32) - mean
        y = labels[rows]
        return x, ({name: y for name in outputs} if outputs else y)

    return epoch_batches(n_batches, make_batch)


def classifier_outputs(model):
    """(output names or None, the validation accuracy's name in the history) of a classifier
    compiled by :func:`compile_classifier`: the names label the batches of a model with several
    outputs (:func:`image_batches`), the accuracy is what training monitors."""
    if len(model.outputs) == 1:
        return None, "val_accuracy"
    return list(model.output_names), "val_main_accuracy"


def compile_classifier(model, optimizer, loss_weights=None):
    """Compile with sparse cross-entropy; a model with several outputs (GoogLeNet's auxiliary
    heads) gets one loss per output, weighted by ``loss_weights``, and accuracy on ``main``.

    Returns :func:`classifier_outputs` (output names or None, the monitored accuracy's name).
    """
    outputs, monitor = classifier_outputs(model)
    if outputs is None:
        model.compile(optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(optimizer, loss={o: "sparse_categorical_crossentropy" for o in outputs},
                      loss_weights=loss_weights, metrics={"main": ["accuracy"]})
    return outputs, monitor
