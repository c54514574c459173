"""The training input: batches of (frames 0..T-2, frames 1..T-1) sequences, in the original's
order."""

import numpy as np

from ..training import epoch_batches


def batch_order(n_items, epoch, shuffle, seed):
    """Item order of one epoch: as stored (the original walked its sequences in order) or a
    permutation drawn from ``default_rng([seed, epoch])``."""
    if not shuffle:
        return np.arange(n_items)
    return np.random.default_rng([seed, epoch]).permutation(n_items)


def sequence_batches(inputs, targets, batch_size, shuffle=False, seed=0):
    """A Keras PyDataset of (inputs, targets) batches; the last batch may be smaller, as the
    original's ``X_train[b * batch_size : (b + 1) * batch_size]``. Batch ``index`` of epoch
    ``epoch`` (the dataset's attribute, set by the trainer) is a pure function of (seed, epoch,
    index), for resumable training. Fit with ``shuffle=False``; ``shuffle`` here permutes the
    sequences per epoch with ``default_rng([seed, epoch])`` (the original did not shuffle)."""
    n_batches = int(np.ceil(len(inputs) / batch_size))

    def make_batch(epoch, index):
        chosen = batch_order(len(inputs), epoch, shuffle, seed)[
            index * batch_size:(index + 1) * batch_size]
        return inputs[chosen], targets[chosen]

    return epoch_batches(n_batches, make_batch)
