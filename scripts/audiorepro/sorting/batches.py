"""The training input of a grid point: batches of jigsaw samples (see ``data.batch_maker``)."""

from ..training import epoch_batches
from .data import batch_maker


def jigsaw_batches(songs, draws, batch_size, seed, shuffle=True):
    """A Keras PyDataset over ``draws`` (see :func:`batch_maker`), with an ``epoch`` attribute
    that the trainer sets on resume and ``on_epoch_end`` advances."""
    return epoch_batches(*batch_maker(songs, draws, batch_size, seed, shuffle))
