"""Rule orcas_scan: the trained network run over every held-out recording (one output per 16
samples, as the original's scan), every unit's track kept; the whistle units measured against
the ground truth; the scan's speed against the original's step-by-step loop."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.atomic import atomic_path, write_json  # noqa: E402
from audiorepro.orcas import data, evaluate, model, scan  # noqa: E402


def separation(metrics):
    """How far apart the best unit's values lie during whistles and during speech: the AUC of
    one against the other folded to [0.5, 1] (0.5: the same range; 1: disjoint ranges)."""
    best = metrics["ranges"].get(str(metrics["best_unit"]), {})
    value = best.get("auc_whistle_vs_speech")
    return None if value is None else max(value, 1 - value)


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    s, m, e = p.scan, p.model, p.evaluation
    geometry = dict(window=m["window"], hop=s["hop"], keep_every=s["keep_every"])
    net = keras.saving.load_model(snakemake.input.model, compile=False)
    split = pd.read_csv(snakemake.input.split)
    held = split[split.split == "heldout"]
    recordings = data.load_recordings([Path(snakemake.input.audio) / w for w in held.wav], p.rate)
    scanner = scan.make_scanner(net, warmup_steps=s["warmup_steps"], chunks=s["chunks"],
                                **geometry)
    started = time.perf_counter()
    scans = {Path(name).name: scanner(samples) for name, samples in recordings.items()}
    seconds = time.perf_counter() - started
    audio_seconds = sum(len(x) for x in recordings.values()) / p.rate
    # the original's loop on a short excerpt, for the speed ratio (it runs at about 1x real time)
    excerpt = next(iter(recordings.values()))[: 2 * p.rate]
    started = time.perf_counter()
    scan.scan_units_stepwise(net, excerpt, **geometry)
    stepwise = (len(excerpt) / p.rate) / (time.perf_counter() - started)

    truth = pd.read_csv(snakemake.input.truth)
    metrics = evaluate.network_metrics(scans, truth, rate=p.rate, threshold=e["threshold"],
                                       top=e["top_units"], quantile=e["detection_quantile"],
                                       **geometry)
    history = pd.read_csv(snakemake.input.history)
    with atomic_path(out.scans) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **scans)
    write_json(out.metrics, {
        "study": "orcas", "network": snakemake.wildcards.network, **metrics,
        "best_abs_r": abs(metrics["best_r"] or 0.0),
        "best_unit_whistle_speech_separation": separation(metrics),
        "loss": evaluate.loss_summary(history),
        "scan_audio_seconds": audio_seconds, "scan_seconds": seconds,
        "scan_realtime": audio_seconds / seconds, "stepwise_realtime": stepwise,
    })
    rule.log.info("%s: best unit %s r = %s; %.0f%% of units above %.2f; scan %.0fx real time "
                  "(step by step %.1fx)", snakemake.wildcards.network, metrics["best_unit"],
                  metrics["best_r"], 100 * (metrics["share_above_threshold"] or 0),
                  e["threshold"], audio_seconds / seconds, stepwise)


rule.run(snakemake, main)  # noqa: F821
