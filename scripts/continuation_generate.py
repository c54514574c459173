"""Rule continuation_generate: seed with the first validation sequence, generate with the LSTM
state carried, check it against the original's re-run method, and measure the drift."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import json  # noqa: E402
import math  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.continuation import data, evaluate, generate, model  # noqa: E402
from audiorepro.atomic import write_json  # noqa: E402
from audiorepro.audio import write_audio  # noqa: E402
from audiorepro.recordings import write_table  # noqa: E402


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    variant = data.variant_settings(snakemake.wildcards.variant)  # protocol and centring
    protocol = variant["protocol"]
    m, g, d = p.model, p.generation, p.drift
    keras.utils.set_random_seed(int(snakemake.wildcards.seed))
    recordings, prepared = data.read_and_prepare(
        snakemake.input.audio, pd.read_csv(snakemake.input.table), p.rate, protocol=protocol,
        centre=variant["centre"], frame=m["frame"], seq_len=m["seq_len"],
        fractions=p.split["fractions"])
    rule.log.info("%s", recordings.describe(p.rate))
    trained = json.loads(open(snakemake.input.metrics).read())
    net = model.load_model(snakemake.input.model, compile=False)
    seed = prepared.seed_sequence()
    steps = math.ceil(g["seconds"] * p.rate / m["frame"])
    frames = generate.generate_stateful(net, seed, steps)
    check = generate.compare_generators(net, seed, min(g["compare_steps"], steps))
    non_finite = int(np.sum(~np.isfinite(frames[len(seed):])))
    audio = data.to_audio(np.nan_to_num(frames), prepared.stats)
    write_audio(out.wav, audio, p.rate)  # the seed first, then the generation, as the post

    reference, ranges, profile = evaluate.data_profile(
        recordings.samples, p.rate, prepared.data_parts(), n_fft=d["n_fft"],
        percentiles=d["percentiles"])
    seed_samples = len(seed) * m["frame"]
    table = evaluate.per_second(audio[seed_samples:], p.rate, reference, n_fft=d["n_fft"])
    repeats = evaluate.repetition(audio, p.rate, seed_samples, m["frame"])
    table[["repetition_db", "period"]] = repeats[["repetition_db", "period"]].to_numpy()
    write_table(table, out.drift)
    drift = evaluate.drift(table, ranges, d["measure"], d["consecutive"])
    drift["level_db"] = evaluate.relative_level_db(table, profile[profile.active])
    # how the generated audio sounds, in one number per measure: its mean over the seconds
    drift["mean"] = {name: (float(table[name].mean()) if len(table) else None)
                     for name in evaluate.MEASURES}
    collapse = evaluate.collapse(table, evaluate.level_band(profile), d["consecutive"])
    not_comparable = evaluate.generation_not_comparable(trained, collapse)
    not_measured = evaluate.drift_not_measured(drift, d["percentiles"])
    not_measured.update({k: v for k, v in not_comparable.items() if k in not_measured})
    write_json(out.metrics, {
        "study": "continuation", "variant": snakemake.wildcards.variant, "protocol": protocol,
        "seed_frames": int(len(seed)), "generated_frames": int(steps),
        "generated_seconds": steps * m["frame"] / p.rate, "seed_samples": int(seed_samples),
        "drift": drift, "collapse": collapse, "generation_collapsed": collapse["collapsed"],
        "collapse_reason": collapse["reason"], "generators": check,
        "non_finite_values": non_finite, "diverged": bool(trained.get("diverged", False)),
        "not_measured": not_measured, "not_comparable": not_comparable,
    })
    rule.log.info("drift point %s s (%s; measures %s, %d s in a row); generated level %s dB "
                  "against the data's active seconds; stateful generation %.1fx faster than "
                  "re-running, max difference %.2g", drift["drift_second"],
                  ", ".join(drift["causes"]) or "no drift", ", ".join(drift["measure"]),
                  drift["consecutive"],
                  "-" if drift["level_db"] is None else f"{drift['level_db']:.1f}",
                  check["speedup"], check["max_abs_difference"])
    if collapse["collapsed"]:
        rule.log.warning("WARNING: %s: the claims on the generated audio are not comparable "
                         "with the original's", collapse["reason"])
    else:
        rule.log.info("generation collapsed: no (%d of %d s repeated, %d faint; median "
                      "repetition %s dB)", collapse["repeated_seconds"], collapse["seconds"],
                      collapse["faint_seconds"], "-" if collapse["median_repetition_db"] is None
                      else f"{collapse['median_repetition_db']:.0f}")
    if non_finite:
        rule.log.warning("WARNING: %d generated values are NaN or infinite (written as 0)",
                         non_finite)


rule.run(snakemake, main)  # noqa: F821
