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

:func:`run` is the rule ``continuation_generate``: seeded with the first validation sequence,
the stateful generation is written as audio, checked against the original's re-run method and
measured (drift and collapse: :func:`audiorepro.continuation.evaluate.generation_metrics`).
"""

import json
import logging
import math
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from ..atomic import write_json
from ..audio import write_audio
from ..recordings import write_table
from . import data, evaluate, model

log = logging.getLogger("audiorepro")


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


def generated_audio(net, prepared, steps, compare_steps):
    """Generate ``steps`` frames after the seed (:meth:`..data.Prepared.seed_sequence`) with
    the state carried, and compare the generators over ``min(compare_steps, steps)`` frames;
    returns (the seed and the generation as int16 audio, NaN or infinite values written as 0;
    the seed's frames; the comparison of :func:`compare_generators`; how many generated values
    were not finite)."""
    seed = prepared.seed_sequence()
    frames = generate_stateful(net, seed, steps)
    check = compare_generators(net, seed, min(compare_steps, steps))
    non_finite = int(np.sum(~np.isfinite(frames[len(seed):])))
    return data.to_audio(np.nan_to_num(frames), prepared.stats), len(seed), check, non_finite


def log_summary(metrics):
    """The log's lines on the drift point, the generators and the collapse, and the warnings."""
    found, check, collapse = metrics["drift"], metrics["generators"], metrics["collapse"]
    log.info("drift point %s s (%s; measures %s, %d s in a row); generated level %s dB "
             "against the data's active seconds; stateful generation %.1fx faster than "
             "re-running, max difference %.2g", found["drift_second"],
             ", ".join(found["causes"]) or "no drift", ", ".join(found["measure"]),
             found["consecutive"], "-" if found["level_db"] is None else f"{found['level_db']:.1f}",
             check["speedup"], check["max_abs_difference"])
    if collapse["collapsed"]:
        log.warning("WARNING: %s: the claims on the generated audio are not comparable "
                    "with the original's", collapse["reason"])
    else:
        log.info("generation collapsed: no (%d of %d s repeated, %d faint; median "
                 "repetition %s dB)", collapse["repeated_seconds"], collapse["seconds"],
                 collapse["faint_seconds"], "-" if collapse["median_repetition_db"] is None
                 else f"{collapse['median_repetition_db']:.0f}")
    if metrics["non_finite_values"]:
        log.warning("WARNING: %d generated values are NaN or infinite (written as 0)",
                    metrics["non_finite_values"])


def run(job):
    """The rule ``continuation_generate`` (``job``: its Snakemake job object): the generated
    audio (the seed first, then the generation, as the post), its per-second measures and the
    generation file."""
    p, out, variant = job.params, job.output, job.wildcards.variant
    m, d = p.model, p.drift
    keras.utils.set_random_seed(int(job.wildcards.seed))
    recordings, prepared = data.read_variant(job.input.audio, job.input.table, p.rate, variant,
                                             m, p.split["fractions"])
    log.info("%s", recordings.describe(p.rate))
    trained = json.loads(Path(job.input.metrics).read_text())
    net = model.load_model(job.input.model, compile=False)
    steps = math.ceil(p.generation["seconds"] * p.rate / m["frame"])
    audio, seed_frames, check, non_finite = generated_audio(net, prepared, steps,
                                                            p.generation["compare_steps"])
    write_audio(out.wav, audio, p.rate)
    reference, ranges, profile = evaluate.data_profile(
        recordings.samples, p.rate, prepared.data_parts(), n_fft=d["n_fft"],
        percentiles=d["percentiles"])
    table = evaluate.generated_table(audio, p.rate, seed_frames * m["frame"], m["frame"],
                                     reference, n_fft=d["n_fft"])
    write_table(table, out.drift)
    metrics = evaluate.generation_metrics(
        variant, prepared.stats["protocol"], table, ranges, profile, trained, d,
        seed_frames=seed_frames, steps=steps, frame=m["frame"], rate=p.rate, generators=check,
        non_finite=non_finite)
    write_json(out.metrics, metrics)
    log_summary(metrics)
    return metrics
