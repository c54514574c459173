"""Rule sorting_train: one grid point (data set x protocol x sample length x chunks x pad mode x
encoding size): the sorter trained on jigsaw samples, scored on the held-out samples."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import keras  # noqa: E402

from audiorepro.sorting import batches, data, evaluate, model  # noqa: E402
from audiorepro.training import ResumableFit, training_record, write_json  # noqa: E402


def main(snakemake):
    p, out, point = snakemake.params, snakemake.output, dict(snakemake.params.point)
    s, m, t = p.sampling, p.model, p.training
    keras.utils.set_random_seed(t["seed"])
    songs = data.load_dataset(point["dataset"], snakemake.input.music, snakemake.input.controls,
                              p.rate, p.control_segments)
    chunk_len = data.samples_of(point["sample_length"], p.rate)
    pad_range = tuple(data.samples_of(v, p.rate) for v in s["pad_seconds"])
    sets = data.sample_sets(songs, protocol=point["protocol"], n_samples=s["n_samples"],
                            valid_fraction=s["valid_fraction"], n_chunks=point["n_chunks"],
                            chunk_len=chunk_len, pad_mode=point["pad_mode"], pad_range=pad_range,
                            seed=s["seed"])
    net = model.sorter_model(point["n_chunks"], chunk_len, point["encoding"], m["encoder_hidden"],
                             m["sorter_hidden"], m["batch_norm"], m["learning_rate"])
    train = batches.jigsaw_batches(songs, sets.train, t["batch_size"], t["seed"])
    valid = batches.jigsaw_batches(songs, sets.valid, t["batch_size"], t["seed"], shuffle=False)
    fitter = ResumableFit(out.model, out.history, rule.backup_dir(out.model),
                          rule.training_settings(snakemake), monitor="val_accuracy", mode="max")
    fitter.fit(net, train, t["epochs"], validation=valid)

    best = keras.saving.load_model(out.model)
    x, labels = data.cut(songs, sets.valid)
    probabilities = best.predict(x, batch_size=t["batch_size"], verbose=0)
    leak = data.overlapping(sets.train, sets.valid, songs)
    metrics = evaluate.run_metrics(
        point, probabilities, labels, run=snakemake.wildcards.point, seed=t["seed"],
        sampling_seed=s["seed"], chunk_samples=chunk_len,
        train_samples=len(sets.train), valid_samples_sharing_training_audio=float(leak.mean()),
        songs={split: int(n) for split, n in sets.songs.split.value_counts().items()},
        **training_record(fitter, best))
    write_json(out.metrics, metrics)
    rule.log.info("%s: accuracy %.3f [%.3f, %.3f], chance %.3f", snakemake.wildcards.point,
                  metrics["accuracy"], metrics["ci_low"], metrics["ci_high"], metrics["chance"])


rule.run(snakemake, main)  # noqa: F821
