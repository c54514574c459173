"""The training input as a Keras PyDataset: one epoch is one set of segments (see
``data.SegmentBatches``)."""

from ..training import epoch_batches
from .data import SegmentBatches


def segment_stream(recordings, **kwargs):
    """A ``keras.utils.PyDataset`` of :class:`SegmentBatches` (same arguments): batch ``i`` is
    ``batches.batch(stream.epoch, i)``, one epoch being one set of segments; ``.batches`` is the
    plain object. ``epoch`` is set at each epoch's start by the shared trainer or by
    :class:`audiorepro.orcas.model.ResetStates` (given the stream).

    Fit it with ``shuffle=False`` (Keras shuffles a PyDataset's batch order otherwise, which
    would break the segments' continuity) and the ResetStates callback, so the LSTM state starts
    from zero with each new set of segments and is carried between updates within it.
    """
    batches = SegmentBatches(recordings, **kwargs)
    stream = epoch_batches(len(batches), batches.batch)
    stream.batches = batches
    return stream
