"""Generation: feed the network's predictions back as its input.

The original seeded with the first validation sequence (50 frames) and 50 times ran the network
on the whole current sequence, appended the prediction at the last step, and went on
(:func:`generate_rerun`: step k costs a pass over 50 + k frames). An LSTM's output at the last
step depends on the earlier frames only through its state, so carrying the state and feeding one
frame at a time gives the same frames (:func:`generate_stateful`, one step per frame, built from
the trained layers' own cells: no copy of the weights).

Both return the seed followed by the generated frames, shape (n_seed + steps, frame), in the
network's (normalised) units: ``frames[:n_seed]`` is the seed, ``frames[n_seed:]`` what the
network made. :func:`audiorepro.continuation.data.to_audio` turns either part back into int16.
"""

import time

import keras
import numpy as np
from keras import ops


def _parts(model):
    """The model's recurrent cells (in order) and its output Dense layer."""
    cells = [layer.cell for layer in model.layers if isinstance(layer, keras.layers.RNN)]
    dense = model.get_layer("next_frame")
    if not cells:
        raise ValueError(f"{model.name} has no recurrent layer")
    return cells, dense


class StepModel(keras.Model):
    """One time step sharing a trained model's layers (not a copy: the same weights).

    Inputs [frame (batch, frame), h_1, c_1, ..., h_L, c_L]; outputs [next frame (batch, frame),
    h_1', c_1', ...]. Subclassed rather than functional because Keras names every LSTMCell
    "lstm_cell", which a functional model refuses.
    """

    def __init__(self, cells, dense, **kwargs):
        super().__init__(**kwargs)
        self.step_cells = list(cells)
        self.next_frame = dense

    def call(self, inputs):
        x, *states = inputs
        new_states = []
        for k, cell in enumerate(self.step_cells):
            x, (h, c) = cell(x, [states[2 * k], states[2 * k + 1]])
            new_states += [h, c]
        return [self.next_frame(x), *new_states]


def step_model(model):
    """A :class:`StepModel` of ``model``."""
    cells, dense = _parts(model)
    return StepModel(cells, dense, name="continuation_step")


def initial_states(model, batch_size=1):
    """The states a fresh pass starts from (zeros, or a Lasagne cell's hid_init/cell_init)."""
    cells, _ = _parts(model)
    states = []
    for cell in cells:
        states += [np.asarray(ops.convert_to_numpy(s), np.float32)
                   for s in cell.get_initial_state(batch_size=batch_size)]
    return states


def _check_seed(seed_frames, model):
    seed_frames = np.asarray(seed_frames, np.float32)
    frame = model.input_shape[-1]
    if seed_frames.ndim != 2 or seed_frames.shape[1] != frame or len(seed_frames) < 1:
        raise ValueError(f"seed must be (n_seed >= 1, {frame}) frames, got {seed_frames.shape}")
    return seed_frames


def generate_rerun(model, seed_frames, steps=50):
    """The original's loop: ``steps`` times, run the network over the whole current sequence and
    append its prediction at the last step. Returns (n_seed + steps, frame) float32."""
    seq = _check_seed(seed_frames, model)
    for _ in range(steps):
        out = model.predict_on_batch(seq[None])
        seq = np.concatenate([seq, np.asarray(out, np.float32)[0, -1:]], axis=0)
    return seq


def generate_stateful(model, seed_frames, steps=50, stepper=None):
    """The same frames as :func:`generate_rerun`, carrying the LSTM states: the seed is read one
    frame at a time, then each prediction is fed back. ``stepper`` is a :func:`step_model` to
    reuse. Returns (n_seed + steps, frame) float32."""
    seed = _check_seed(seed_frames, model)
    stepper = stepper or step_model(model)
    states = initial_states(model, 1)
    for t in range(len(seed)):  # read the seed; the last prediction is the first new frame
        prediction, *states = stepper.predict_on_batch([seed[t: t + 1], *states])
    generated = []
    for k in range(steps):
        generated.append(np.asarray(prediction, np.float32))
        if k < steps - 1:
            prediction, *states = stepper.predict_on_batch([prediction, *states])
    return np.concatenate([seed, *generated], axis=0)


def compare_generators(model, seed_frames, steps=50):
    """Time both generators on the same seed; return seconds of each, the speed-up and the
    largest absolute difference between their frames (float32 round-off only)."""
    start = time.perf_counter()
    rerun = generate_rerun(model, seed_frames, steps)
    rerun_s = time.perf_counter() - start
    stepper = step_model(model)
    generate_stateful(model, seed_frames[:1], 1, stepper)  # trace the step once, outside the clock
    start = time.perf_counter()
    stateful = generate_stateful(model, seed_frames, steps, stepper)
    stateful_s = time.perf_counter() - start
    return {"steps": int(steps), "seed_frames": int(len(seed_frames)),
            "rerun_seconds": rerun_s, "stateful_seconds": stateful_s,
            "speedup": rerun_s / stateful_s,
            "max_abs_difference": float(np.max(np.abs(rerun - stateful)))}
