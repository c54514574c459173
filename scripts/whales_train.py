"""Rule whales_train: one member of the sweep (network x learning rate), trained as DIGITS did."""

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from audiorepro import rule
from audiorepro.training import (Stopwatch, callbacks, device_description, parameter_counts,
                                 use_backend, write_json)


def main(snakemake):
    use_backend(snakemake.params.backend)
    import keras

    from audiorepro import digits, whales

    w, p, out = snakemake.wildcards, snakemake.params.training, snakemake.output
    keras.utils.set_random_seed(p["seed"])
    split = pd.read_csv(snakemake.input.split)
    squashed = whales.squash(np.load(snakemake.input.images), tuple(snakemake.params.image["size"]),
                             dtype=np.uint8)  # whole grey levels: a quarter of the memory
    train, val = split[split.split == "train"], split[split.split == "validation"]
    mean = whales.mean_image(squashed[train.row.to_numpy()])

    build = {"alexnet": whales.alexnet, "googlenet": whales.googlenet}[w.net]
    model = build(squashed.shape[1:], num_classes=2, width=snakemake.params.width,
                  caffe_init=snakemake.params.init == "caffe")
    batch = p["batch_size"][w.net]
    steps = p["epochs"] * math.ceil(len(train) / batch)
    optimizer = digits.solver(float(w.rate), steps, p["momentum"], p["weight_decay"],
                              p["lr_step_fraction"], p["lr_gamma"])
    # GoogLeNet's auxiliary heads train with weight 0.3 each, as in Caffe
    outputs, monitor = digits.compile_classifier(model, optimizer, whales.GOOGLENET_LOSS_WEIGHTS)

    def batches(rows, seed):
        return digits.image_batches(squashed[rows.row.to_numpy()], rows.label, mean, batch, seed, outputs)

    backup = Path(out.model).parent / "backup"
    with Stopwatch() as clock:
        model.fit(batches(train, p["seed"]), validation_data=batches(val, None), epochs=p["epochs"],
                  callbacks=callbacks(out.model, out.history, backup, monitor=monitor), verbose=2)
    shutil.rmtree(backup, ignore_errors=True)

    best = whales.main_output(whales.load_model(out.model))
    probability = best.predict(batches(val, None), verbose=0)
    probability = probability[0] if isinstance(probability, (list, tuple)) else probability
    predictions = val[["clip_name", "label"]].assign(probability=probability[:, 1])
    predictions.to_csv(out.predictions, index=False)
    history = pd.read_csv(out.history)
    accuracy = history[monitor]
    loss = history["val_main_loss" if outputs else "val_loss"]
    write_json(out.metrics, {
        "study": "whales", "scheme": w.scheme, "variant": f"{w.net}_lr{w.rate}", "net": w.net,
        "learning_rate": float(w.rate),
        # what DIGITS' model list showed: the last epoch's validation numbers
        "final_validation_accuracy": float(accuracy.iloc[-1]),
        "final_validation_loss": float(loss.iloc[-1]),
        "best_validation_accuracy": float(accuracy.max()),
        "best_epoch": int(accuracy.idxmax()) + 1,
        # the saved (best-validation) model on the validation clips
        "validation": whales.evaluate_binary(predictions.label, predictions.probability),
        "clips": {"train": int(len(train)), "validation": int(len(val))},
        "input_shape": list(squashed.shape[1:]),
        "parameters": parameter_counts(model),
        "training_seconds": round(clock.seconds, 1),
        "device": device_description(),
    })
    rule.log.info("%s lr %s: final val accuracy %.4f, AUC %.4f", w.net, w.rate, accuracy.iloc[-1],
                  whales.roc_auc(predictions.label, predictions.probability))


rule.run(snakemake, main)
