"""Rule continuation_train: the stacked LSTM that predicts the next frame, under one protocol,
set beside the trivial predictors (zero, the last frame repeated) on the same sequences."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import keras  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.continuation import batches, data, evaluate, model  # noqa: E402
from audiorepro.training import ResumableFit, training_record, write_json  # noqa: E402


def main(snakemake):
    p, out = snakemake.params, snakemake.output
    variant = data.variant_settings(snakemake.wildcards.variant)  # protocol and centring
    protocol = variant["protocol"]
    m, t = p.model, p.training
    keras.utils.set_random_seed(t["seed"])
    recordings, prepared = data.read_and_prepare(
        snakemake.input.audio, pd.read_csv(snakemake.input.table), p.rate, protocol=protocol,
        centre=variant["centre"], frame=m["frame"], seq_len=m["seq_len"],
        fractions=p.split["fractions"])
    rule.log.info("%s", recordings.describe(p.rate))
    net = model.continuation_model(m["frame"], m["units"], m["layers"], cell=m["cell"],
                                   learning_rate=t["learning_rate"],
                                   optimizer=t.get("optimizer", "rmsprop"))
    streams = {split: batches.sequence_batches(*prepared.inputs_and_targets(split), t["batch_size"])
               for split in data.SPLITS}
    fitter = ResumableFit(out.model, out.history, rule.backup_dir(out.model),
                          rule.training_settings(snakemake), monitor="val_loss", mode="min")
    history = fitter.fit(net, streams["train"], t["epochs"], validation=streams["valid"])
    curve = evaluate.learning_curve_summary(history)
    table = evaluate.baselines({s: prepared.inputs_and_targets(s) for s in ("valid", "test")})
    versus, warning = evaluate.against_baselines(curve["best_valid"], table)
    best = model.load_model(out.model)
    test_mse = (float(best.evaluate(streams["test"], verbose=0))
                if prepared.counts()["test"] else None)
    valid_inputs, valid_targets = prepared.inputs_and_targets("valid")
    predictions = best.predict(valid_inputs, batch_size=t["batch_size"], verbose=0)
    not_measured = evaluate.curve_not_measured(curve)
    if test_mse is None:
        for key in ("test_mse", "baselines.zero.test", "baselines.repeat_last.test"):
            not_measured[key] = "the test part holds no whole sequence"
    metrics = {
        "study": "continuation", "variant": snakemake.wildcards.variant, "protocol": protocol,
        "scaling": prepared.stats, "recordings": recordings.table(p.rate),
        "pieces": prepared.piece_records(), "sequences": prepared.counts(),
        "learning_curve": curve, "test_mse": test_mse, "baselines": table, **versus,
        "seconds_per_epoch": fitter.seconds / max(1, len(history)),
        "paper_size_parameters": model.parameter_breakdown(16000, 600, 3, m["cell"])["total"],
        **training_record(fitter, net), "not_measured": not_measured,
    }
    # claims whose comparison with the original means nothing here (N3, N4): why
    metrics["not_comparable"] = evaluate.training_not_comparable(metrics, m)
    # the intervals over the validation sequences that decide N8 with one seed
    metrics["sampling_interval"] = evaluate.valid_sampling_intervals(
        predictions, valid_inputs, valid_targets, versus["best_baseline"])
    write_json(out.metrics, metrics)
    rule.log.info("valid MSE %.6g at epoch 0, best %.6g (epoch %d), test %s; trivial predictors "
                  "on the same valid sequences: zero %.6g, repeat last frame %.6g",
                  curve["epoch0_valid"], curve["best_valid"], curve["best_epoch"],
                  "-" if test_mse is None else f"{test_mse:.6g}", table["zero"]["valid"],
                  table["repeat_last"]["valid"])
    if warning:
        rule.log.warning("WARNING: %s", warning)


rule.run(snakemake, main)  # noqa: F821
