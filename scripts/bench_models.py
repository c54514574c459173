"""Benchmarks of the trained models, printed as name=value lines (make bench runs it).

* ``<study>_input_efficiency``: training steps per second with the study's real input pipeline
  (its batch stream, as the training rule builds it) divided by the same model fed the same
  batches from tensors already in memory. 1.0 means the pipeline never starves the model.
* ``orcas_scan_realtime`` (audio seconds per wall second) of the fast scan, beside
  ``orcas_stepwise_realtime``, the original's step-by-step loop, and their ratio.
* ``continuation_generation_speedup``: stateful generation against the original's re-run of the
  whole sequence at every step (the same frames).
* ``catsdogs_memory_kept_speedup``: one catsdogs training epoch (the default configuration's
  steps, its real batch stream) in a fresh process as glibc's malloc does by default, over the
  same with :func:`audiorepro.rule.keep_freed_memory`, which every training job calls.
* ``cpu_utilisation``: CPU seconds of a representative part of the run (the tiny catsdogs
  chain, every rule from raw data to figures) over its wall seconds times the cores it had.
* ``startup_share``: of those CPU seconds, the share that starting and ending the jobs costs:
  each job's process start, imports and exit, measured in fresh processes that do what a job
  does (Snakemake's preamble, :func:`audiorepro.rule.use_backend`'s import of Keras with its
  backend for the training, inference and figures jobs, the package and pandas for the
  others, then :func:`audiorepro.rule.exit_now`), times the job counts of the chain's plan.
  ``startup_keras_cpu_seconds`` is one such Keras job's, beside
  ``startup_keras_cpu_seconds_plain``: a plain ``import keras`` and Python's full exit, what
  every job paid before ``use_backend`` left scikit-learn out and ``exit_now`` skipped the
  finalisation.
* ``whales_alexnet_layers_speedup``: the tight-loop step (``<model>_step_ms_floor``'s measure)
  with ``keras.layers.Conv2D(groups=2)`` and the LRN summed from shifted copies over the step
  with :class:`audiorepro.whales.model.GroupedConv2D` and the band-matrix LRN;
  ``whales_googlenet_layers_speedup``: the same for GoogLeNet's LRN (it has no groups);
  ``catsdogs_layers_speedup``: the same for the catsdogs model with
  ``keras.layers.BatchNormalization`` over the step with
  :class:`audiorepro.catsdogs.model.FoldedBatchNormalization`.
* ``<model>_step_ms`` beside ``<model>_step_ms_floor``: one training step with the real batch
  stream as a training job feeds it (``fit`` on :func:`audiorepro.training.fit_input` of the
  study's PyDataset), and the same compiled step in a tight loop on batches already in memory
  (``train_on_batch``: no PyDataset, no tf.data), the floor the input pipeline can reach;
  ``<model>_step_ms_in_memory`` is ``fit`` on a PyDataset of those batches held in memory,
  fed the same way (what ``input_efficiency`` divides by).

Models have the default configuration's sizes (``config/config.yaml``) with untrained weights:
speed does not depend on what the weights learned. The data are random, of the real shapes.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from audiorepro.rule import keep_freed_memory, limit_threads  # noqa: E402

# one thread, as a training job on a CPU has (audiorepro.rule.use_backend): TensorFlow's default
# pools take every core, which times a step against idle cores no job of the run has
limit_threads(1)

import keras  # noqa: E402

from audiorepro.training import epoch_batches, fit_input  # noqa: E402
from audiorepro.whales import model as nets  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


class StepClock(keras.callbacks.Callback):
    """Wall time of every training step (the batch is fetched inside the step)."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.started)


def steps_per_second(model, stream, steps, skip=5):
    """Training steps per second: one over the median step time of ``steps`` steps of one epoch
    of ``stream`` as a training job feeds it (:func:`audiorepro.training.fit_input`), the first
    ``skip`` left out (tracing, warm-up). A median of steps inside one epoch leaves out what a
    whole ``fit`` call costs on top (setting up the epoch)."""
    clock = StepClock()
    model.fit(fit_input(stream), epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False,
              callbacks=[clock])
    return 1.0 / float(np.median(clock.times[skip:]))


def tight_loop_ms(model, held, skip=5, rounds=3):
    """Milliseconds of one training step called in a tight loop on the batches ``held`` in
    memory, converted to tensors beforehand: on TensorFlow the compiled train function itself
    (what ``fit`` and ``train_on_batch`` call per batch), elsewhere ``train_on_batch``. The
    median over ``rounds`` passes over the batches, the first ``skip`` steps left out."""
    def tensors(value):
        if isinstance(value, dict):
            return {k: keras.ops.convert_to_tensor(v) for k, v in value.items()}
        return keras.ops.convert_to_tensor(value)

    batches = [(tensors(x), tensors(y), None) for x, y in held]
    if keras.backend.backend() == "tensorflow":
        model.make_train_function()
        step = model.train_function

        def train(batch):
            step(iter([batch]))
    else:
        def train(batch):
            model.train_on_batch(batch[0], batch[1])
    times = []
    for _ in range(rounds):
        for batch in batches:
            started = time.perf_counter()
            train(batch)
            times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times[skip:]))


def input_efficiency(build, stream, steps):
    """Steps per second fed by ``stream`` over steps per second fed the same batches from memory
    (two models built alike, so both start from the same state), and the tight loop's step
    (:func:`tight_loop_ms`, a third model built alike) in milliseconds."""
    steps = min(steps, len(stream))
    held = [stream[i] for i in range(steps)]
    in_memory = epoch_batches(steps, lambda epoch, index: held[index])
    real = steps_per_second(build(), stream, steps)
    memory = steps_per_second(build(), in_memory, steps)
    return real / memory, real, memory, tight_loop_ms(build(), held)


def catsdogs_training():
    """A builder of the default configuration's catsdogs model and its batch stream (random
    audio), in :func:`whales_training`'s order."""
    from audiorepro.catsdogs import batches, model

    c = CONFIG["catsdogs"]
    t = c["training"]
    rng = np.random.default_rng(0)
    vectors = {label: rng.normal(0, 1, 300 * t["window"]).astype(np.float32) for label in (0, 1)}
    stream = batches.window_dataset(vectors, t["batch_size"], t["window"], t["threshold"],
                                    t["steps_per_epoch"], t["seed"])
    return lambda: model.build(c["model"], t), stream


def catsdogs(steps):
    build, stream = catsdogs_training()
    return input_efficiency(build, stream, steps)


class SlicedLRN(nets.LRN):
    """The LRN as it was summed before :class:`audiorepro.whales.model.LRN`'s band matrix:
    ``size`` shifted copies of the zero-padded squares added up."""

    def call(self, x):
        ops, half, channels = keras.ops, self.size // 2, x.shape[-1]
        squares = ops.pad(ops.square(x), [[0, 0], [0, 0], [0, 0], [half, half]])
        window = sum(squares[..., i : i + channels] for i in range(self.size))
        return x / ops.power(self.k + (self.alpha / self.size) * window, self.beta)


def stock_layers_speedup(steps):
    """{name: the tight-loop step (:func:`tight_loop_ms`) with Keras' own layers over the step
    with the project's faster ones}: the whales networks with Keras' grouped convolution and
    the shifted-copies LRN, the catsdogs model with Keras' BatchNormalization, on ``steps``
    batches of their streams."""
    from unittest import mock

    from audiorepro.catsdogs import model as catsdogs_model

    cases = [("whales_alexnet", nets, {"GroupedConv2D": keras.layers.Conv2D, "LRN": SlicedLRN},
              lambda: whales_training("alexnet")),
             ("whales_googlenet", nets, {"LRN": SlicedLRN}, lambda: whales_training("googlenet")),
             ("catsdogs", catsdogs_model,
              {"FoldedBatchNormalization": keras.layers.BatchNormalization},
              catsdogs_training)]
    speedups = {}
    for name, module, stock, case in cases:
        build, stream = case()
        held = [stream[i] for i in range(min(steps, len(stream)))]
        with mock.patch.multiple(module, **stock):
            stock_ms = tight_loop_ms(build(), held)
        speedups[f"{name}_layers"] = stock_ms / tight_loop_ms(build(), held)
    return speedups


def catsdogs_epoch_seconds(keep):
    """Wall and CPU (user, system) seconds of one catsdogs training epoch after a warm-up
    epoch, in this process, with or without :func:`keep_freed_memory` first."""
    if keep:
        keep_freed_memory()
    build, stream = catsdogs_training()
    net = build()
    net.fit(stream, epochs=1, verbose=0, shuffle=False)
    before, start = os.times(), time.perf_counter()
    net.fit(stream, epochs=1, verbose=0, shuffle=False)
    wall, after = time.perf_counter() - start, os.times()
    return wall, after.user - before.user, after.system - before.system


def memory_kept_speedup():
    """catsdogs_epoch_seconds in two fresh processes: malloc's default over memory kept."""
    def measure(mode):
        run = subprocess.run([sys.executable, __file__, "--epoch-seconds", mode], check=True,
                             capture_output=True, text=True)
        return [float(v) for v in run.stdout.split()[-3:]]

    return measure("default"), measure("keep")


def whales_training(net):
    """A builder of the default configuration's ``net`` and its image batch stream (random
    images)."""
    from audiorepro.whales import model, solver

    c = CONFIG["whales"]
    size = tuple(c["image"]["size"])
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2000, *size, 1), dtype=np.uint8)
    labels = rng.integers(0, 2, 2000)
    batch = c["training"]["batch_size"][net]

    model_cfg = {"net": net, "width": c["width"], "init": c["init"], "input_shape": (*size, 1)}
    training_cfg = {**c["training"], "learning_rate": 0.01,
                    "steps_per_epoch": int(np.ceil(len(labels) / batch))}

    def build():
        keras.utils.set_random_seed(0)
        return model.build(model_cfg, training_cfg)

    outputs, _ = solver.classifier_outputs(build())
    return build, solver.image_batches(images, labels, images.mean(0), batch, 0, outputs)


def whales(steps, net="alexnet"):
    build, stream = whales_training(net)
    return input_efficiency(build, stream, steps)


def continuation(steps):
    from audiorepro.continuation import batches, model

    c = CONFIG["continuation"]
    m, t = c["model"], c["training"]
    rng = np.random.default_rng(0)
    seqs = rng.normal(0, 0.1, (800, m["seq_len"], m["frame"])).astype(np.float32)
    stream = batches.sequence_batches(seqs[:, :-1], seqs[:, 1:], t["batch_size"])
    return input_efficiency(
        lambda: model.build(m, t), stream, steps)


def sorting(steps):
    from audiorepro.sorting import batches, data, model

    c = CONFIG["sorting"]
    rate = c["audio"]["rate"]
    rng = np.random.default_rng(0)
    songs = data.as_songs([rng.normal(0, 0.2, 30 * rate).astype(np.float32) for _ in range(20)])
    n, length = 3, data.samples_of(0.03, rate)
    pads = tuple(data.samples_of(v, rate) for v in c["sampling"]["pad_seconds"])
    draws = data.draw_samples(songs, c["sampling"]["n_samples"], n, length, "random_per_gap",
                              pads, rng)
    stream = batches.jigsaw_batches(songs, draws, c["training"]["batch_size"], 0)
    m = c["model"]
    return input_efficiency(
        lambda: model.build({**m, "n_chunks": n, "chunk_len": length, "encoding": 16},
                            c["training"]), stream, steps)


def orcas_model(network="lstm"):
    from audiorepro.orcas import model

    c = CONFIG["orcas"]
    return model.build({**c["model"], "network": network}, {**c["training"], "seed": 0})


def orcas(steps):
    from audiorepro.orcas import batches

    c = CONFIG["orcas"]
    t = c["training"]
    rng = np.random.default_rng(0)
    recordings = {f"tape{i}": (rng.normal(0, 3000, 60 * 16000)).astype(np.int16) for i in range(4)}
    stream = batches.segment_stream(recordings, batch_size=t["batch_size"],
                                    segment_seconds=t["segment_seconds"], seed=0,
                                    bptt_steps=t["bptt_steps"], window=c["model"]["window"],
                                    rate=c["audio"]["rate"], mu=c["model"]["classes"] - 1)
    return input_efficiency(orcas_model, stream, steps)


def orcas_scan(seconds):
    from audiorepro.orcas import data, scan

    c = CONFIG["orcas"]
    rate = c["audio"]["rate"]
    geometry = data.Geometry(c["model"]["window"], c["scan"]["hop"], c["scan"]["keep_every"],
                             rate)
    net = orcas_model()
    audio = np.random.default_rng(0).normal(0, 3000, int(seconds * rate)).astype(np.int16)
    scanner = scan.make_scanner(net, geometry, warmup_steps=c["scan"]["warmup_steps"],
                                chunks=c["scan"]["chunks"])
    scanner(audio[: rate * 5])  # trace
    start = time.perf_counter()
    scanner(audio)
    fast = seconds / (time.perf_counter() - start)
    excerpt = audio[: 2 * rate]
    start = time.perf_counter()
    scan.scan_units_stepwise(net, excerpt, geometry)
    stepwise = 2.0 / (time.perf_counter() - start)
    return fast, stepwise


def continuation_generation():
    from audiorepro.continuation import generate, model

    m = CONFIG["continuation"]["model"]
    net = model.build(m, CONFIG["continuation"]["training"])
    seed = np.random.default_rng(0).normal(0, 0.1, (m["seq_len"], m["frame"])).astype(np.float32)
    return generate.compare_generators(net, seed, CONFIG["continuation"]["generation"]["compare_steps"])


# What a job's process does before and after its work: Snakemake's preamble (its script copy
# imports these), the rule's imports, and its exit (audiorepro.rule.exit_now, as rule.run ends
# a job's process). {keras} is use_backend's import of Keras.
JOB_PREAMBLE = "from snakemake.logging import logger; from snakemake.iocontainers import Snakemake"
USE_BACKEND = ("from audiorepro.rule import without_modules\n"
               "with without_modules('sklearn'):\n    import keras")
JOB_START = {
    "keras": f"{JOB_PREAMBLE}\nimport pandas, audiorepro.rule, audiorepro.training\n{USE_BACKEND}\n"
             "audiorepro.rule.exit_now(0)",
    "plain": f"{JOB_PREAMBLE}\nimport pandas, audiorepro.rule\naudiorepro.rule.exit_now(0)",
    # before: a plain import of Keras (scikit-learn with it) and Python's full finalisation
    "keras_plain": "import pandas, audiorepro.rule, keras",
}


def startup_cpu(code, repeats=3):
    """CPU seconds (user + system) a fresh Python spends running ``code`` (imports), the median
    of ``repeats`` processes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    seconds = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return float(np.median(seconds))


def planned_jobs(cmd):
    """{rule: job count} of Snakemake's plan (``-n``'s job stats) for ``cmd``; `all` left out."""
    out = subprocess.run([*cmd, "-n"], check=True, capture_output=True, text=True).stdout
    table = out.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    counts = {}
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("all", "total"):
            counts[parts[0]] = int(parts[1])
    return counts


def keras_rules(jobs):
    """The rules of ``jobs`` ({rule: count}) whose processes import Keras: the trained and
    inference rules, and the figures (catsdogs' notebook probes its model)."""
    from audiorepro.archive import trained_rules

    return set(trained_rules(ROOT)) | {r for r in jobs if r.endswith("_figures")}


def startup_jobs_with_keras(jobs):
    """How many of ``jobs`` ({rule: count}) import Keras (:func:`keras_rules`)."""
    return sum(n for rule, n in jobs.items() if rule in keras_rules(jobs))


def cpu_utilisation(cores):
    """(CPU seconds of every process) / (wall seconds x cores) of the tiny catsdogs chain, the
    wall and CPU seconds, and the CPU seconds its jobs' start-ups cost (:func:`startup_cpu`)."""

    part = ROOT / "tests" / "config" / "tiny.yaml"
    with tempfile.TemporaryDirectory(prefix="bench_cpu_") as work:
        only = Path(work) / "only.yaml"
        only.write_text("studies: [catsdogs]\n")
        cmd = [str(Path(sys.executable).parent / "snakemake"), "-s", str(ROOT / "Snakefile"),
               "--directory", work, "--cores", str(cores), "--resources", "gpu=1",
               "--configfile", str(part), str(only), "--quiet", "all"]
        jobs = planned_jobs(cmd)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with_keras = keras_rules(jobs)
    costs = {kind: startup_cpu(code) for kind, code in JOB_START.items()}
    startup = sum(n * (costs["keras"] if rule in with_keras else costs["plain"])
                  for rule, n in jobs.items())
    return cpu / (wall * cores), wall, cpu, startup, jobs, costs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="training steps timed per model")
    parser.add_argument("--scan-seconds", type=float, default=120.0)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--skip-cpu", action="store_true", help="leave out cpu_utilisation")
    parser.add_argument("--epoch-seconds", choices=["default", "keep"],
                        help="only print one catsdogs epoch's wall, user and system seconds")
    args = parser.parse_args(argv)
    if args.epoch_seconds:
        print(*catsdogs_epoch_seconds(args.epoch_seconds == "keep"))
        return 0
    (wall, _, system), (kept_wall, _, kept_system) = memory_kept_speedup()
    keep_freed_memory()  # as every training job does

    print(f"machine={os.cpu_count()} cpus; backend={keras.backend.backend()}; "
          f"keras={keras.__version__}")
    for name, measure in [("catsdogs", catsdogs), ("whales_alexnet", whales),
                          ("whales_googlenet", lambda s: whales(s, "googlenet")),
                          ("continuation", continuation), ("sorting", sorting), ("orcas", orcas)]:
        ratio, real, memory, floor = measure(args.steps)
        print(f"{name}_steps_per_second={real:.2f}")
        print(f"{name}_steps_per_second_in_memory={memory:.2f}")
        print(f"{name}_input_efficiency={ratio:.3f}")
        print(f"{name}_step_ms={1000 / real:.1f}")
        print(f"{name}_step_ms_in_memory={1000 / memory:.1f}")
        print(f"{name}_step_ms_floor={floor:.1f}")
    for name, speedup in stock_layers_speedup(args.steps).items():
        print(f"{name}_speedup={speedup:.2f}")
    print(f"catsdogs_epoch_seconds={wall:.2f} (system {system:.2f})")
    print(f"catsdogs_epoch_seconds_memory_kept={kept_wall:.2f} (system {kept_system:.2f})")
    print(f"catsdogs_memory_kept_speedup={wall / kept_wall:.2f}")
    fast, stepwise = orcas_scan(args.scan_seconds)
    print(f"orcas_scan_realtime={fast:.1f}")
    print(f"orcas_stepwise_realtime={stepwise:.2f}")
    print(f"orcas_scan_speedup={fast / stepwise:.0f}")
    generation = continuation_generation()
    print(f"continuation_generation_speedup={generation['speedup']:.1f}")
    print(f"continuation_generation_max_difference={generation['max_abs_difference']:.2g}")
    if not args.skip_cpu:
        ratio, wall, cpu, startup, jobs, costs = cpu_utilisation(args.cores)
        print(f"cpu_utilisation_wall_seconds={wall:.1f}")
        print(f"cpu_utilisation_cpu_seconds={cpu:.1f}")
        print(f"cpu_utilisation={ratio:.2f}")
        print(f"startup_jobs={sum(jobs.values())} ({', '.join(f'{r} {n}' for r, n in jobs.items())})")
        print(f"startup_keras_cpu_seconds={costs['keras']:.2f}")
        print(f"startup_keras_cpu_seconds_plain={costs['keras_plain']:.2f}")
        print(f"startup_plain_cpu_seconds={costs['plain']:.2f}")
        print(f"startup_cpu_seconds={startup:.1f}")
        keras_jobs = startup_jobs_with_keras(jobs)
        before = startup + keras_jobs * (costs["keras_plain"] - costs["keras"])
        print(f"startup_cpu_seconds_plain={before:.1f} ({keras_jobs} Keras jobs started and "
              f"ended as before use_backend and exit_now)")
        print(f"startup_share={startup / cpu:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
