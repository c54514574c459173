import json

import numpy as np
import pandas as pd
import pytest

from audiorepro.catsdogs import batches, data, evaluate
from audiorepro.catsdogs import model as cnn
from audiorepro.errors import InputError


def real_file_table():
    """The Kaggle set's names: cats 1..167 without 104, 111, 145; dogs 0..112."""
    cats = [f"cat_{n}.wav" for n in range(1, 168) if n not in (104, 111, 145)]
    dogs = [f"dog_barking_{n}.wav" for n in range(113)]
    return data.file_table(cats + dogs)


def test_file_table_labels_and_bad_names():
    table = real_file_table()
    assert len(table) == 277 and (table.label == 0).sum() == 164 and (table.label == 1).sum() == 113
    assert table.loc[table.file == "dog_barking_0.wav", "number"].item() == 0
    with pytest.raises(InputError, match="kitten_1.wav: is not named"):
        data.file_table(["cat_1.wav", "kitten_1.wav"])


def test_original_split_sizes_and_its_leaky_test_folder():
    table = data.original_split(real_file_table(), 0.25, 5, seed=0)
    counts = table.split.value_counts()
    assert counts["train"] == 207 and counts["validation"] == 70 and counts["test"] == 10
    test = set(table.file[table.split == "test"])
    assert test == {f"cat_{n}.wav" for n in range(163, 168)} | {f"dog_barking_{n}.wav" for n in range(5)}
    # the original's test files are also training or validation files: the leak is reproduced
    assert test <= set(table.file[table.split != "test"])
    again = data.original_split(real_file_table(), 0.25, 5, seed=0)
    assert again.equals(table)
    assert not data.original_split(real_file_table(), 0.25, 5, seed=1).equals(table)


def write_split_csv(path, columns):
    width = max(len(v) for v in columns.values())
    frame = pd.DataFrame({k: v + [None] * (width - len(v)) for k, v in columns.items()})
    frame.to_csv(path)


def test_clean_split_is_disjoint_and_keeps_the_csv_test_files(tmp_path):
    files = real_file_table()
    rng = np.random.default_rng(0)
    cats = list(rng.permutation(files.file[files.label == 0]))
    dogs = list(rng.permutation(files.file[files.label == 1]))
    columns = {"test_cat": cats[:49], "test_dog": dogs[:49], "train_cat": cats[49:], "train_dog": dogs[49:]}
    write_split_csv(tmp_path / "split.csv", columns)
    csv = data.read_split_csv(tmp_path / "split.csv", files.file)
    assert len(csv) == 277
    table = data.clean_split(csv, 0.2, seed=3)
    assert table.file.is_unique  # no file in two splits
    assert set(table.file[table.split == "test"]) == set(cats[:49]) | set(dogs[:49])
    val = table[table.split == "validation"]
    assert (val.label == 0).sum() == 23 and (val.label == 1).sum() == 13  # 20 % of 115 and 64
    assert set(val.file) <= set(columns["train_cat"]) | set(columns["train_dog"])


@pytest.mark.parametrize("columns,message", [
    ({"test_cat": ["cat_1.wav"], "test_dog": ["dog_barking_0.wav"], "train_cat": ["cat_2.wav"]},
     "lacks the column\\(s\\) train_dog"),
    ({"test_cat": ["cat_1.wav"], "test_dog": ["dog_barking_0.wav"], "train_cat": ["cat_999.wav"],
      "train_dog": ["dog_barking_1.wav"]}, "column train_cat names cat_999.wav, which is not in cats_dogs/"),
    ({"test_cat": ["cat_1.wav"], "test_dog": ["cat_2.wav"], "train_cat": ["cat_3.wav"],
      "train_dog": ["dog_barking_1.wav"]}, "column test_dog names cat_2.wav, a file of the other class"),
    ({"test_cat": ["cat_1.wav"], "test_dog": ["dog_barking_0.wav"], "train_cat": ["cat_1.wav"],
      "train_dog": ["dog_barking_1.wav"]}, "names cat_1.wav in more than one column"),
])
def test_malformed_split_csv_is_named(tmp_path, columns, message):
    write_split_csv(tmp_path / "split.csv", columns)
    with pytest.raises(InputError, match=f"split.csv: {message}"):
        data.read_split_csv(tmp_path / "split.csv", real_file_table().file)


def test_standardisation_original_per_class_clean_from_training_only():
    rng = np.random.default_rng(0)
    audio = {"train": {0: rng.normal(5, 2, 1000), 1: rng.normal(-1, 10, 1000)},
             "validation": {0: rng.normal(0, 3, 500), 1: rng.normal(0, 1, 500)}}
    original = data.standardisation("original", audio)
    for split in audio:
        for label in (0, 1):
            z = data.standardise(audio[split][label], original[split][label])
            assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-4
    clean = data.standardisation("clean", audio)
    train = np.concatenate([audio["train"][0], audio["train"][1]])
    expected = (train.mean(), train.std())
    assert all(np.allclose(clean[s][line], expected) for s in audio for line in (0, 1))
    # validation statistics must not move the clean protocol's numbers
    audio["validation"][0] *= 100
    assert np.allclose(data.standardisation("clean", audio)["validation"][0], expected)
    with pytest.raises(InputError, match="unknown protocol 'other'"):
        data.standardisation("other", audio)


def test_window_rule_and_alternating_labels():
    rng = np.random.default_rng(0)
    quiet = np.zeros(50_000, np.float32)
    quiet[20_000:20_100] = 1.0  # the only place a window can pass max > 0.4
    loud = rng.normal(0, 1, 50_000).astype(np.float32)
    x, y = batches.window_batch({0: quiet, 1: loud}, 6, 16_000, 0.4, rng)
    assert x.shape == (6, 16_000, 1) and y.ravel().tolist() == [0, 1, 0, 1, 0, 1]
    assert (x.max(axis=(1, 2)) > 0.4).all()
    assert all(x[i, :, 0].max() == 1.0 for i in (0, 2, 4))  # every cat window holds the click
    with pytest.raises(InputError, match="cat audio: no 16000-sample window with max > 0.4"):
        batches.window_batch({0: np.zeros(20_000, np.float32), 1: loud}, 2, 16_000, 0.4, rng)
    with pytest.raises(InputError, match="holds 100 samples, fewer than one 16000-sample window"):
        batches.draw_window(np.ones(100), 16_000, 0.4, rng)


def test_window_dataset_is_seeded_and_changes_per_epoch():
    rng = np.random.default_rng(1)
    vectors = {0: rng.normal(size=40_000).astype(np.float32), 1: rng.normal(size=40_000).astype(np.float32)}
    a = batches.window_dataset(vectors, 4, 16_000, 0.4, steps=3, seed=7)
    b = batches.window_dataset(vectors, 4, 16_000, 0.4, steps=3, seed=7)
    assert len(a) == 3 and np.array_equal(a[1][0], b[1][0])
    first = a[1][0].copy()
    a.on_epoch_end()  # Keras' calls do not move it: the trainer sets the epoch
    assert np.array_equal(a[1][0], first)
    a.epoch = 1
    assert not np.array_equal(a[1][0], first)
    b.epoch = 1
    assert np.array_equal(a[1][0], b[1][0])


def test_model_has_the_originals_parameter_counts_and_shapes():
    from audiorepro.training import parameter_counts

    model = cnn.conv1d_classifier(16_000, blocks=10, filters=10, kernel_size=4, strides=2)
    # conv 1: 4*1*10+10 = 50; conv 2-10: 4*10*10+10 = 410 each; BN 4*10 per block; dense 10+1
    assert parameter_counts(model) == {"total": 4151, "trainable": 3951, "non_trainable": 200}
    lengths = [model.get_layer(f"activ_{k}").output.shape[1] for k in range(1, 11)]
    assert lengths == [8000, 4000, 2000, 1000, 500, 250, 125, 63, 32, 16]
    out = model.predict(np.zeros((2, 16_000, 1), np.float32), verbose=0)
    assert out.shape == (2, 1) and ((out >= 0) & (out <= 1)).all()


def test_segments_and_vote():
    x = np.arange(40_000)
    assert data.segments(x, 16_000).shape == (2, 16_000)
    stacked, table = data.segment_table([("a.wav", 1, x), ("b.wav", 0, x[:15_999])], 16_000)
    assert stacked.shape == (2, 16_000) and table.file.tolist() == ["a.wav", "a.wav"]
    preds = pd.DataFrame({"file": ["a", "a", "b", "b", "b"], "label": [1, 1, 0, 0, 0],
                          "probability": [0.9, 0.3, 0.6, 0.6, 0.1]})
    clips = evaluate.vote(preds).set_index("file")
    assert clips.loc["a", "vote"] == 1 and clips.loc["a", "correct"]
    assert clips.loc["b", "vote"] == 0 and clips.loc["b", "correct"]  # mean 0.433 < 0.5


def test_the_ablations_are_the_fewer_filter_models_and_the_grid_without_the_model_itself():
    from audiorepro.catsdogs.data import ablation_variants, variant_protocol

    model = {"blocks": 10, "filters": 10, "kernel_size": 4, "strides": 2}
    training = {"seed": 1, "window": 16000, "epochs": 15, "steps_per_epoch": 75}
    ablations = {"protocol": "original", "filters": [5], "kernel_size": [3, 4, 5], "strides": [1, 2, 3]}
    variants = ablation_variants(ablations, model, training)
    assert len(variants) == 1 + 8 and "original-k4s2" not in variants
    assert variants["original-filters5"] == {"model": {**model, "filters": 5}, "training": {}}
    assert variants["original-k3s1"] == {"model": {**model, "kernel_size": 3, "strides": 1},
                                         "training": {}}
    assert variant_protocol("original-k3s1") == "original" == variant_protocol("original")
    # a grid budget equal to the model's training is the model's: its point is not trained twice
    same = ablation_variants({**ablations, "grid_training": {"window": 16000, "epochs": 15}},
                             model, training)
    assert same == variants


def test_a_cpu_sized_grid_trains_every_point_under_its_own_budget_and_c4_under_the_models():
    from audiorepro.catsdogs.data import ablation_variants

    model = {"blocks": 10, "filters": 10, "kernel_size": 4, "strides": 2}
    training = {"seed": 1, "window": 16000, "epochs": 15, "steps_per_epoch": 75}
    variants = ablation_variants(
        {"protocol": "clean", "filters": [5, 7], "kernel_size": [4, 5], "strides": [1, 2],
         "grid_training": {"window": 4000, "epochs": 15}}, model, training)
    assert sorted(variants) == ["clean-filters5", "clean-filters7", "clean-k4s1", "clean-k4s2",
                                "clean-k5s1", "clean-k5s2"]
    # the configured point trains again, under the grid's budget; only what differs is changed
    assert variants["clean-k4s2"] == {"model": model, "training": {"window": 4000}}
    assert all(v["training"] == {"window": 4000} for k, v in variants.items() if "-k" in k)
    assert variants["clean-filters7"]["training"] == {}  # C4 compares with the model: same budget


def test_ablation_summary_measures_c4_and_c5_with_the_model_as_its_grid_point():
    from audiorepro.catsdogs.evaluate import ablation_summary
    from audiorepro.replicates import aggregate

    def doc(train, valid, test=0.7):
        return aggregate([{"final_training_accuracy": train, "best_validation_accuracy": valid,
                           "test_segment_accuracy": test}], [1])

    base = doc(0.9, 0.85)
    variants = {"original-filters5": doc(0.9, 0.7, 0.68), "original-k3s1": doc(0.8, 0.6),
                "original-k5s2": doc(0.8, 0.8)}
    summary = ablation_summary(base, variants, base_point="k4s2")
    assert summary["filters"]["filters5"]["gap"] == pytest.approx(0.2)
    assert summary["filters"]["base"]["gap"] == pytest.approx(0.05)
    assert summary["grid"] == {"k3s1": 0.6, "k5s2": 0.8, "k4s2": 0.85}
    assert summary["grid_best"] == "k4s2" and summary["stride2_k45_best"] == 0.85
    assert summary["others_best"] == 0.6 and summary["not_measured"] == {}
    alone = ablation_summary(base, {"original-k3s1": doc(0.8, 0.6)}, base_point="k3s3")
    assert alone["stride2_k45_best"] is None
    assert alone["not_measured"] == {
        "stride2_k45_best": "the grid (catsdogs.ablations) has no kernel 4 or 5 with stride 2"}


# ---------------------------------------------------------------- nothing left out silently
def test_what_the_folder_holds_beside_its_wavs_is_counted_and_named_in_the_log(tmp_path, caplog):
    folder = tmp_path / "cats_dogs"
    (folder / "cats_dogs").mkdir(parents=True)  # the real archive's duplicate folder
    for name in ("cat_1.wav", "dog_barking_0.wav", "cat_99.flac", "readme.txt",
                 "cats_dogs/cat_1.wav"):
        (folder / name).write_bytes(b"")
    with caplog.at_level("WARNING", logger="audiorepro"):
        names = data.wav_names(folder)
    assert names == ["cat_1.wav", "dog_barking_0.wav"]
    assert "left out 2 file(s) that are not WAV" in caplog.text
    assert "cat_99.flac, readme.txt" in caplog.text
    assert "left out 1 folder(s)" in caplog.text and "cats_dogs/ (1 entries)" in caplog.text


def test_split_csv_columns_and_files_it_does_not_name_are_counted_and_named(tmp_path, caplog):
    files = real_file_table()
    cats = list(files.file[files.label == 0])
    dogs = list(files.file[files.label == 1])
    columns = {"test_cat": cats[:49], "test_dog": dogs[:49], "train_cat": cats[49:],
               "train_dog": dogs[49:], "odd": cats[:38]}  # the real file's extra column
    write_split_csv(tmp_path / "split.csv", columns)
    known = list(files.file) + ["cat_200.wav", "dog_barking_300.wav"]
    with caplog.at_level("WARNING", logger="audiorepro"):
        csv = data.read_split_csv(tmp_path / "split.csv", known)
    assert len(csv) == 277
    assert "split.csv: 1 column(s) that no protocol reads, left out: odd (38 names)" in caplog.text
    assert ("names 2 of the 279 files of cats_dogs/ nowhere: the clean split leaves them out: "
            "cat_200.wav, dog_barking_300.wav") in caplog.text


# ---------------------------------------------------------------- the study's contract
MODEL = {"blocks": 10, "filters": 10, "kernel_size": 4, "strides": 2}


def test_build_is_the_originals_model_compiled_as_the_notebook_did():
    from audiorepro.training import parameter_counts

    net = cnn.build(MODEL, {"window": 16_000, "learning_rate": 0.025, "epochs": 15})
    assert parameter_counts(net) == {"total": 4151, "trainable": 3951, "non_trainable": 200}
    assert net.input_shape == (None, 16_000, 1)
    assert type(net.optimizer).__name__ == "SGD"
    assert float(net.optimizer.learning_rate) == pytest.approx(0.025)
    assert net.loss == "binary_crossentropy"
    short = cnn.build({**MODEL, "blocks": 3, "filters": 5}, {"window": 4000, "learning_rate": 0.1})
    assert short.input_shape == (None, 4000, 1)
    assert [layer.name for layer in short.layers if layer.name.startswith("activ_")] == [
        "activ_1", "activ_2", "activ_3"]


def test_figures_are_the_originals_names_one_activation_per_block():
    from audiorepro import plots
    from audiorepro.catsdogs import figures

    assert plots.figure_files(figures.FIGURES, k=range(1, 4)) == [
        "audio_beginning.png", "model_acc.png", "model_summary.txt", "dog_main_ex.png",
        "predict_dog_test.txt", "activ_1.png", "activ_2.png", "activ_3.png",
        "dog_main_pooling_output.png", "global_pooling_second_dog.png",
        "global_pooling_cat_1.png", "sigmoid_weights.png", "filter_weights.png"]
    assert len(plots.figure_files(figures.FIGURES, k=range(1, 11))) == 20
    fig = figures.activation(np.zeros((1, 125, 10), np.float32), 6)
    assert fig._suptitle.get_text() == "activation of convolutional block 6 (length 125)"
    assert sum(ax.has_data() for ax in fig.axes) == 10


def test_protocol_split_is_the_protocols_split(tmp_path):
    files = real_file_table()
    settings = {"original_validation_fraction": 0.25, "original_test_per_class": 5,
                "clean_validation_fraction": 0.2, "seed": 3}
    original = data.protocol_split("original", files, tmp_path, settings)
    assert original.equals(data.original_split(files, 0.25, 5, 3))
    cats, dogs = list(files.file[files.label == 0]), list(files.file[files.label == 1])
    write_split_csv(tmp_path / data.SPLIT_CSV, {"test_cat": cats[:49], "test_dog": dogs[:49],
                                                "train_cat": cats[49:], "train_dog": dogs[49:]})
    clean = data.protocol_split("clean", files, tmp_path, settings)
    csv = data.read_split_csv(tmp_path / data.SPLIT_CSV, files.file)
    assert clean.equals(data.clean_split(csv, 0.2, 3))
    with pytest.raises(InputError, match="train_test_split.csv"):
        data.protocol_split("clean", files, tmp_path / "elsewhere", settings)


def test_ablation_summary_of_files_reads_the_replicates_in_the_order_of_their_names(tmp_path):
    from audiorepro.replicates import aggregate

    def doc(train, valid):
        return aggregate([{"final_training_accuracy": train, "best_validation_accuracy": valid,
                           "test_segment_accuracy": 0.7}], [1])

    docs = {"base": doc(0.9, 0.85), "a": doc(0.8, 0.6), "b": doc(0.9, 0.7)}
    for name, d in docs.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(d))
    summary = evaluate.ablation_summary_of_files(
        tmp_path / "base.json", [tmp_path / "a.json", tmp_path / "b.json"],
        ["original-k3s1", "original-filters5"], {**MODEL, "kernel_size": 5})
    expected = evaluate.ablation_summary(
        docs["base"], {"original-k3s1": docs["a"], "original-filters5": docs["b"]},
        base_point="k5s2")
    assert summary == expected
    assert summary["grid"] == {"k3s1": 0.6, "k5s2": 0.85}
    assert summary["filters"]["filters5"]["validation"] == 0.7


TRAINING = {"seed": 7, "batch_size": 4, "window": 64, "threshold": 0.4, "steps_per_epoch": 3,
            "validation_steps": 2, "learning_rate": 0.01}


def test_window_streams_seed_training_and_validation_apart():
    from audiorepro.catsdogs import train

    rng = np.random.default_rng(0)
    vectors = {split: {label: rng.normal(size=1000).astype(np.float32) for label in (0, 1)}
               for split in ("train", "validation")}
    stream, validation = train.window_streams(vectors, TRAINING)
    assert len(stream) == 3 and len(validation) == 2
    same = batches.window_dataset(vectors["train"], 4, 64, 0.4, 3, seed=7)
    assert np.array_equal(stream[2][0], same[2][0]) and stream[2][0].shape == (4, 64, 1)
    held = batches.window_dataset(vectors["validation"], 4, 64, 0.4, 2, seed=8)
    assert np.array_equal(validation[1][0], held[1][0])
    assert not np.array_equal(
        validation[1][0], batches.window_dataset(vectors["validation"], 4, 64, 0.4, 2, 7)[1][0])


def test_probabilities_and_the_pooling_reading_of_a_model():
    from audiorepro.catsdogs import train

    net = cnn.build({"blocks": 2, "filters": 3, "kernel_size": 4, "strides": 2}, TRAINING)
    segments = np.random.default_rng(1).normal(size=(4, 64)).astype(np.float32)
    p = train.probabilities(net)(segments)
    assert p.shape == (4,) and np.allclose(p, net.predict(segments[..., None], verbose=0)[:, 0])
    table = pd.DataFrame({"label": [0, 1, 0, 1]})
    reading = train.pooling(net, table, segments)
    pooled = cnn.layer_probe(net).predict(segments[..., None], verbose=0)[-1]
    assert reading == evaluate.pooling_components(
        pooled, table.label, net.get_layer("sigmoid").get_weights()[0])
    assert len(reading["dog_minus_cat"]) == 3 == len(reading["sigmoid_weights"])


@pytest.mark.parametrize("shape, fold", [((3, 96, 10), 48), ((2, 8000, 10), 50), ((3, 63, 10), 21),
                                         ((2, 97, 5), 97), ((2, 8191, 10), 1)])
def test_folded_batch_norm_is_keras_batch_norm(shape, fold, tmp_path):
    import keras
    import tensorflow as tf

    assert cnn.fold_factor(shape[1], shape[2]) == fold  # 8191 is prime: Keras' own arithmetic
    channels = shape[-1]
    ours, keras_own = cnn.FoldedBatchNormalization(name="bn"), keras.layers.BatchNormalization()
    for layer in (ours, keras_own):
        layer.build(shape)
        layer.set_weights([np.linspace(0.5, 2, channels), np.linspace(-1, 1, channels),
                           np.linspace(-0.2, 0.2, channels), np.linspace(0.5, 1.5, channels)])
    # channels of other means and scales, so a statistic taken over the wrong axis shows
    x = (np.random.default_rng(0).normal(size=shape) * np.arange(1, channels + 1)
         + np.arange(channels)).astype("float32")
    xt = tf.constant(x)
    # a loss whose gradient differs per element (the sum of squares, per channel nearly fixed
    # by the normalisation itself, has a gradient of almost nothing but rounding)
    weights = tf.constant(np.random.default_rng(1).normal(size=shape).astype("float32"))
    results = []
    for layer in (ours, keras_own):
        inference = np.asarray(layer(xt, training=False))
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt, training=True)
            loss = tf.reduce_sum(y * weights)
        grads = tape.gradient(loss, [xt, *layer.trainable_weights])
        results.append([inference, np.asarray(y), *map(np.asarray, grads),
                        *map(np.asarray, layer.non_trainable_weights)])
    names = ["inference", "training", "d input", "d gamma", "d beta", "moving mean",
             "moving variance"]
    for name, a, b in zip(names, *results):
        if fold == 1:
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            scale = np.abs(b).max()
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * scale, err_msg=name)
    # the moving statistics moved (the training call updated them) by the batch's statistics
    np.testing.assert_allclose(results[0][5], 0.99 * np.linspace(-0.2, 0.2, channels)
                               + 0.01 * x.mean(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    # it saves and loads as itself
    model = keras.Sequential([keras.Input(shape[1:]), ours])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("bn")) is cnn.FoldedBatchNormalization
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_every_block_normalises_with_the_folded_layer():
    net = cnn.conv1d_classifier(16_000, blocks=10, filters=10, kernel_size=4, strides=2)
    kinds = {type(layer) for layer in net.layers if layer.name.startswith("bn_")}
    assert kinds == {cnn.FoldedBatchNormalization}
