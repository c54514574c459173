"""Rule continuation_generate: seed with the first validation sequence, generate with the LSTM
state carried, check it against the original's re-run method, and measure the drift."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import math  # noqa: E402

import keras  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.continuation import data, evaluate, generate, model  # noqa: E402
from audiorepro.atomic import write_json  # noqa: E402
from audiorepro.audio import write_audio  # noqa: E402
from audiorepro.recordings import read_all, write_table  # noqa: E402


def main(snakemake):
    p, out, protocol = snakemake.params, snakemake.output, snakemake.wildcards.protocol
    m, g, d = p.model, p.generation, p.drift
    keras.utils.set_random_seed(p.seed)
    samples = read_all(snakemake.input.audio, pd.read_csv(snakemake.input.table), p.rate)
    prepared = data.prepare(samples, protocol=protocol, frame=m["frame"], seq_len=m["seq_len"],
                            fractions=p.split["fractions"], where=snakemake.input.audio, rate=p.rate)
    net = model.load_model(snakemake.input.model, compile=False)
    seed = prepared.seed_sequence()
    steps = math.ceil(g["seconds"] * p.rate / m["frame"])
    frames = generate.generate_stateful(net, seed, steps)
    check = generate.compare_generators(net, seed, min(g["compare_steps"], steps))
    audio = data.to_audio(frames, prepared.stats)
    write_audio(out.wav, audio, p.rate)  # the seed first, then the generation, as the post

    parts = [(r.start, r.end) for r in prepared.split_table.itertuples() if r.split != "test"]
    reference, ranges, _ = evaluate.data_profile(samples, p.rate, parts, n_fft=d["n_fft"],
                                                 percentiles=d["percentiles"])
    seed_samples = len(seed) * m["frame"]
    table = evaluate.per_second(audio[seed_samples:], p.rate, reference, n_fft=d["n_fft"])
    write_table(table, out.drift)
    drift = evaluate.drift(table, ranges, d["measure"], d["consecutive"])
    write_json(out.metrics, {
        "study": "continuation", "protocol": protocol, "seed_frames": int(len(seed)),
        "generated_frames": int(steps), "generated_seconds": steps * m["frame"] / p.rate,
        "seed_samples": int(seed_samples), "drift": drift, "generators": check,
    })
    rule.log.info("drift point %s s; stateful generation %.1fx faster than re-running, max "
                  "difference %.2g", drift["drift_second"], check["speedup"],
                  check["max_abs_difference"])


rule.run(snakemake, main)  # noqa: F821
