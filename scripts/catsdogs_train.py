"""Rule catsdogs_train: train the 10-layer 1-D CNN under one protocol; evaluate on the test files."""

import shutil
from pathlib import Path

import pandas as pd

from audiorepro import rule
from audiorepro.training import (Stopwatch, callbacks, device_description, parameter_counts,
                                 use_backend, write_json)


def main(snakemake):
    use_backend(snakemake.params.backend)
    import keras

    from audiorepro import catsdogs
    from audiorepro.clips import ClipPack

    protocol = snakemake.wildcards.protocol
    p, out = snakemake.params.training, snakemake.output
    keras.utils.set_random_seed(p["seed"])
    pack = ClipPack(snakemake.input.clips, snakemake.input.samples)
    split = pd.read_csv(snakemake.input.split)
    vectors, test, stats = catsdogs.prepared_audio(protocol, pack, split)

    def batches(which, steps, seed):
        return catsdogs.window_dataset(vectors[which], p["batch_size"], p["window"], p["threshold"],
                                       steps, seed)

    model = catsdogs.conv1d_classifier(p["window"], **snakemake.params.model)
    model.compile(optimizer=keras.optimizers.SGD(p["learning_rate"]),
                  loss="binary_crossentropy", metrics=["accuracy"])
    backup = Path(out.model).parent / "backup"
    with Stopwatch() as clock:
        model.fit(batches("train", p["steps_per_epoch"], p["seed"]), epochs=p["epochs"],
                  validation_data=batches("validation", p["validation_steps"], p["seed"] + 1),
                  callbacks=callbacks(out.model, out.history, backup), verbose=2)
    shutil.rmtree(backup, ignore_errors=True)

    best = keras.saving.load_model(out.model)
    segments, table = catsdogs.segment_table(test, p["window"])
    table["probability"] = best.predict(segments[..., None], verbose=0)[:, 0] if len(table) else []
    table["correct"] = (table.probability > 0.5).astype(int) == table.label
    table.to_csv(out.segments, index=False)
    clips = catsdogs.vote(table)
    history = pd.read_csv(out.history)
    write_json(out.metrics, {
        "study": "catsdogs",
        "protocol": protocol,
        "best_validation_accuracy": float(history.val_accuracy.max()),
        "best_epoch": int(history.val_accuracy.idxmax()) + 1,
        "final_training_accuracy": float(history.accuracy.iloc[-1]),
        "test_segment_accuracy": float(table.correct.mean()) if len(table) else None,
        "test_segments": int(len(table)),
        "test_clip_accuracy": float(clips.correct.mean()) if len(clips) else None,
        "test_clips": int(len(clips)),
        "test_clips_correct": int(clips.correct.sum()),
        "files": split.groupby("split").size().to_dict(),
        "standardisation": {s: {str(k): v for k, v in d.items()} for s, d in stats.items()},
        "parameters": parameter_counts(best),
        "training_seconds": round(clock.seconds, 1),
        "device": device_description(),
    })
    rule.log.info("best validation %.3f, test segments %.3f, clips %d/%d",
                  history.val_accuracy.max(), table.correct.mean(), clips.correct.sum(), len(clips))


rule.run(snakemake, main)
