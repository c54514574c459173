"""Rule catsdogs_train: train the 10-layer 1-D CNN (a variant: a protocol, or an ablation of
the model under one) with one seed; evaluate on the test files."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import keras  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.catsdogs import batches, data, evaluate, model  # noqa: E402
from audiorepro.atomic import atomic_path  # noqa: E402
from audiorepro.clips import ClipPack  # noqa: E402
from audiorepro.training import ResumableFit, training_record, write_json  # noqa: E402


def main(snakemake):
    p, out, protocol = snakemake.params.training, snakemake.output, snakemake.params.protocol
    keras.utils.set_random_seed(p["seed"])
    pack = ClipPack(snakemake.input.clips, snakemake.input.samples)
    split = pd.read_csv(snakemake.input.split)
    vectors, test, stats = data.prepared_audio(protocol, pack, split)

    def windows(which, steps, seed):
        return batches.window_dataset(vectors[which], p["batch_size"], p["window"], p["threshold"],
                                   steps, seed)

    net = model.compiled_classifier(p["window"], snakemake.params.model, p["learning_rate"])
    fitter = ResumableFit(out.model, out.history, rule.backup_dir(out.model),
                          rule.training_settings(snakemake), monitor="val_accuracy", mode="max")
    history = fitter.fit(net, windows("train", p["steps_per_epoch"], p["seed"]), p["epochs"],
                         validation=windows("validation", p["validation_steps"], p["seed"] + 1))

    best = keras.saving.load_model(out.model)
    table, too_short, segments = evaluate.test_segments(
        test, p["window"], lambda s: best.predict(s[..., None], verbose=0)[:, 0])
    with atomic_path(out.segments) as tmp:
        table.to_csv(tmp, index=False)
    metrics = evaluate.metrics(protocol, history, table, too_short, split, stats)
    metrics.update(variant=snakemake.wildcards.variant, seed=p["seed"], model=snakemake.params.model)
    if len(table):
        pooled = model.layer_probe(best).predict(segments[..., None], verbose=0)[-1]
        metrics["pooling"] = evaluate.pooling_components(
            pooled, table.label, best.get_layer("sigmoid").get_weights()[0])
    write_json(out.metrics, {**metrics, **training_record(fitter, best)})
    rule.log.info("best validation %.3f, test segments %s, clips %d/%d",
                  metrics["best_validation_accuracy"], metrics["test_segment_accuracy"],
                  metrics["test_clips_correct"], metrics["test_clips"])


rule.run(snakemake, main)  # noqa: F821
