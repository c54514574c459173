"""The notebook's training input: batches of random 1-s windows of each class's audio, labels
alternating cat, dog, cat, ..., each window redrawn until its maximum exceeds the threshold."""

import numpy as np

from ..errors import InputError
from ..training import epoch_batches


def draw_window(vector, window, threshold, rng, max_tries=10_000, name="audio"):
    """A random ``window``-long slice whose maximum exceeds ``threshold`` (the notebook's rule)."""
    if len(vector) < window:
        raise InputError(name, f"holds {len(vector)} samples, fewer than one {window}-sample window")
    for _ in range(max_tries):
        start = int(rng.integers(0, len(vector) - window + 1))
        piece = vector[start: start + window]
        if piece.max() > threshold:
            return piece
    raise InputError(name, f"no {window}-sample window with max > {threshold} in {max_tries} draws")


def window_batch(class_vectors, batch_size, window, threshold, rng):
    """One batch: labels alternate 0, 1, 0, 1, ...; each row a qualifying random window."""
    x = np.empty((batch_size, window, 1), np.float32)
    y = (np.arange(batch_size) % 2).astype(np.float32)
    for i in range(batch_size):
        label = int(y[i])
        x[i, :, 0] = draw_window(class_vectors[label], window, threshold, rng,
                                 name=f"{'dog' if label else 'cat'} audio")
    return x, y[:, None]


def window_dataset(class_vectors, batch_size, window, threshold, steps, seed):
    """A Keras PyDataset of ``steps`` random-window batches, new windows every epoch, seeded:
    batch ``index`` of epoch ``epoch`` draws from ``default_rng([seed, epoch, index])``."""
    def make_batch(epoch, index):
        rng = np.random.default_rng([seed, epoch, index])
        return window_batch(class_vectors, batch_size, window, threshold, rng)

    return epoch_batches(steps, make_batch)
