"""Rule orcas_scan: the trained network run over every held-out recording (one output per 16
samples, as the original's scan), every unit's track kept; the whistle units measured against
the annotations (none on real recordings without tables: those measures are null, and the
file's ``not_measured`` says why); the scan's speed against the original's step-by-step loop."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.atomic import atomic_path, write_json  # noqa: E402
from audiorepro.training import loss_summary  # noqa: E402
from audiorepro.orcas import data, evaluate, model, scan  # noqa: E402,F401 (model: its layers)


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    s, m, e = p.scan, p.model, p.evaluation
    geometry = dict(window=m["window"], hop=s["hop"], keep_every=s["keep_every"])
    net = keras.saving.load_model(snakemake.input.model, compile=False)
    split = pd.read_csv(snakemake.input.split)
    held = split[split.split == "heldout"]
    recordings = data.load_recordings([Path(snakemake.input.audio) / w for w in held.wav], p.rate)
    names = dict(zip(recordings, held.wav))  # scans by the name relative to the audio folder
    scanner = scan.make_scanner(net, warmup_steps=s["warmup_steps"], chunks=s["chunks"],
                                **geometry)
    started = time.perf_counter()
    scans = {names[path]: scanner(samples) for path, samples in recordings.items()}
    seconds = time.perf_counter() - started
    audio_seconds = sum(len(x) for x in recordings.values()) / p.rate
    # the original's loop on a short excerpt, for the speed ratio (it runs at about 1x real time)
    excerpt = next(iter(recordings.values()))[: 2 * p.rate]
    started = time.perf_counter()
    scan.scan_units_stepwise(net, excerpt, **geometry)
    stepwise = (len(excerpt) / p.rate) / (time.perf_counter() - started)

    table = evaluate.check_annotations(pd.read_csv(snakemake.input.annotations),
                                       snakemake.input.annotations)
    metrics = evaluate.network_metrics(scans, table, rate=p.rate, threshold=e["threshold"],
                                       top=e["top_units"], quantile=e["detection_quantile"],
                                       **geometry)
    trained = json.loads(Path(snakemake.input.training).read_text())
    history = pd.read_csv(snakemake.input.history)
    with atomic_path(out.scans) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **scans)
    write_json(out.metrics, {
        "study": "orcas", "network": snakemake.wildcards.network, **metrics,
        "annotations": p.annotations, "diverged": bool(trained.get("diverged", False)),
        "loss": loss_summary(history),
        "scan_audio_seconds": audio_seconds, "scan_seconds": seconds,
        "scan_realtime": audio_seconds / seconds, "stepwise_realtime": stepwise,
    })
    if metrics["best_unit"] is None:
        rule.log.info("%s: whistle units not measured (%s); units ranked by activation "
                      "variance", snakemake.wildcards.network,
                      metrics["not_measured"]["best_unit"])
    else:
        rule.log.info("%s: best unit %s r = %.3f; %.0f%% of units above %.2f",
                      snakemake.wildcards.network, metrics["best_unit"], metrics["best_r"],
                      100 * metrics["share_above_threshold"], e["threshold"])
    rule.log.info("scan %.0fx real time (step by step %.1fx)", audio_seconds / seconds, stepwise)


rule.run(snakemake, main)  # noqa: F821
