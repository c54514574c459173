"""Rule whales_train: one member of the sweep (network x learning rate), trained as DIGITS did."""

from audiorepro import rule

rule.use_backend(snakemake)  # noqa: F821 (before keras is imported)

import math  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audiorepro.atomic import atomic_path  # noqa: E402
from audiorepro.training import ResumableFit, training_record, write_json  # noqa: E402
from audiorepro.whales import data, evaluate, model, solver  # noqa: E402


def main(snakemake):
    w, p, out = snakemake.wildcards, snakemake.params.training, snakemake.output
    keras.utils.set_random_seed(p["seed"])
    split = pd.read_csv(snakemake.input.split)
    squashed = data.squash(np.load(snakemake.input.images), tuple(snakemake.params.image["size"]),
                           dtype=np.uint8)  # whole grey levels: a quarter of the memory
    train, val = split[split.split == "train"], split[split.split == "validation"]
    mean = data.mean_image(squashed[train.row.to_numpy()])

    build = {"alexnet": model.alexnet, "googlenet": model.googlenet}[w.net]
    net = build(squashed.shape[1:], num_classes=2, width=snakemake.params.width,
                caffe_init=snakemake.params.init == "caffe")
    batch = p["batch_size"][w.net]
    steps = p["epochs"] * math.ceil(len(train) / batch)
    optimizer = solver.solver(float(w.rate), steps, p["momentum"], p["weight_decay"],
                              p["lr_step_fraction"], p["lr_gamma"])
    # GoogLeNet's auxiliary heads train with weight 0.3 each, as in Caffe
    outputs, monitor = solver.compile_classifier(net, optimizer, model.GOOGLENET_LOSS_WEIGHTS)

    def batches(rows, seed):
        return solver.image_batches(squashed[rows.row.to_numpy()], rows.label, mean, batch, seed,
                                    outputs)

    fitter = ResumableFit(out.model, out.history, rule.backup_dir(out.model),
                          rule.training_settings(snakemake), monitor=monitor, mode="max")
    history = fitter.fit(net, batches(train, p["seed"]), p["epochs"],
                         validation=batches(val, None))

    best = model.main_output(model.load_model(out.model))
    probability = best.predict(batches(val, None), verbose=0)
    probability = probability[0] if isinstance(probability, (list, tuple)) else probability
    predictions = val[["clip_name", "label"]].assign(probability=probability[:, 1])
    with atomic_path(out.predictions) as tmp:
        predictions.to_csv(tmp, index=False)
    metrics = evaluate.run_metrics(w.protocol, w.net, w.rate, history, monitor, predictions,
                                   {"train": int(len(train)), "validation": int(len(val))})
    metrics["input_shape"] = list(squashed.shape[1:])
    write_json(out.metrics, {**metrics, **training_record(fitter, net)})
    rule.log.info("%s lr %s: final val accuracy %.4f, AUC %.4f", w.net, w.rate,
                  metrics["final_validation_accuracy"], metrics["validation"]["roc_auc"])


rule.run(snakemake, main)  # noqa: F821
