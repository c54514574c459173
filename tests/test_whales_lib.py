"""The whales study's library: splits, DIGITS' image pipeline, the two Caffe networks, metrics."""

import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from audiorepro.whales import data, evaluate, solver
from audiorepro.whales import model as nets
from audiorepro.errors import InputError


def train_frame(n, positive_every=4, seed=0):
    labels = (np.random.default_rng(seed).random(n) < 1 / positive_every).astype(int)
    return pd.DataFrame({"clip_name": [f"train{i + 1}.aiff" for i in range(n)], "label": labels})


# --- splits -------------------------------------------------------------------------------------


def test_digits_split_is_head_and_tail_in_file_order():
    frame = train_frame(30_000)
    split = data.digits_head_tail_split(frame)
    assert list(split.columns) == ["clip_name", "label", "split"]
    assert (split["split"] == "train").sum() == 27_000
    assert (split["split"] == "validation").sum() == 3_000
    assert split["clip_name"].tolist() == frame["clip_name"].tolist()  # order preserved
    assert (split["split"].iloc[:27_000] == "train").all()  # head -n 27000
    assert split.loc[split["split"] == "validation", "clip_name"].tolist() == [
        f"train{i}.aiff" for i in range(27_001, 30_001)  # tail -n 3000
    ]
    assert (split["label"].to_numpy() == frame["label"].to_numpy()).all()


def test_split_keeps_extra_columns():
    frame = train_frame(50).assign(row=range(50))
    split = data.digits_head_tail_split(frame)
    assert split["row"].tolist() == list(range(50))
    assert split.columns[-1] == "split"


def test_digits_split_counts_per_class():
    frame = train_frame(1_000)
    counts = data.class_counts(data.digits_head_tail_split(frame))
    assert counts.index.tolist() == ["train", "validation"]
    assert counts.columns.tolist() == [0, 1]
    assert counts.loc["train"].sum() == 900 and counts.loc["validation"].sum() == 100
    assert counts.loc["validation", 1] == frame["label"].iloc[900:].sum()


def test_stratified_split_keeps_proportions_and_is_seeded():
    frame = train_frame(1_000)
    split = data.stratified_split(frame, 0.8, seed=7)
    assert split["clip_name"].tolist() == frame["clip_name"].tolist()
    assert set(split["split"]) == {"train", "validation"}  # every row in exactly one split
    for label in (0, 1):
        in_class = split["label"] == label
        expected = math.floor(0.8 * in_class.sum() + 0.5)
        assert ((split["split"] == "train") & in_class).sum() == expected
    again = data.stratified_split(frame, 0.8, seed=7)
    other = data.stratified_split(frame, 0.8, seed=8)
    assert (again["split"] == split["split"]).all()
    assert (other["split"] != split["split"]).any()


def test_bad_labels_are_an_input_error(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("clip_name,label\ntrain1.aiff,0\ntrain2.aiff,2\n")
    with pytest.raises(InputError, match="train2.aiff"):
        data.read_train_csv(path)


# --- DIGITS' image pipeline ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [256, (64, 48), 20, 64, (128, 29), (128, 31), (200, 256)])
def test_squash_is_pillow_bilinear(size):
    images = np.random.default_rng(1).integers(0, 256, (4, 129, 30), dtype=np.uint8)
    images[0] = 0
    images[1, :5] = 255
    height, width = (size, size) if np.isscalar(size) else size
    squashed = data.squash(images, size)
    assert squashed.shape == (4, height, width, 1) and squashed.dtype == np.float32
    assert (data.squash(images, size, dtype=np.uint8) == squashed).all()
    for image, ours in zip(images, squashed):
        pil = np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))
        assert np.abs(ours[..., 0] - pil).max() <= 0  # bit-exact


def test_mean_image_subtraction():
    images = np.stack([np.full((8, 8, 1), v, np.float32) for v in (10, 20, 60)])
    mean = data.mean_image(images)
    assert mean.shape == (8, 8, 1) and np.allclose(mean, 30)
    assert np.allclose(data.subtract_mean(images, mean)[:, 0, 0, 0], [-20, -10, 30])


# --- Caffe layers ---------------------------------------------------------------------------------


def caffe_pool_reference(x, kernel, stride, mode):
    """Caffe's pooling loop for one (h, w) map, pad 0: ceil output, clipped windows."""
    h, w = x.shape
    out_h, out_w = (int(math.ceil((n - kernel) / stride)) + 1 for n in (h, w))
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * stride, min(i * stride + kernel, h))
            columns = slice(j * stride, min(j * stride + kernel, w))
            window = x[rows, columns]
            out[i, j] = window.max() if mode == "max" else window.mean()
    return out


@pytest.mark.parametrize(
    "size,kernel,stride,mode", [(62, 3, 2, "max"), (16, 5, 3, "avg"), (15, 3, 2, "max")]
)
def test_caffe_pool_matches_caffe(size, kernel, stride, mode):
    pool = nets.CaffePool2D
    x = np.random.default_rng(2).normal(size=(1, size, size, 2)).astype("float32")
    ours = np.asarray(pool(kernel, stride, mode=mode)(x))
    for c in range(2):
        expected = caffe_pool_reference(x[0, :, :, c], kernel, stride, mode)
        np.testing.assert_allclose(ours[0, :, :, c], expected, rtol=1e-5, atol=1e-6)


def test_lrn_matches_caffe_formula():
    lrn = nets.LRN
    x = np.random.default_rng(3).normal(0, 30, size=(2, 3, 3, 7)).astype("float32")
    ours = np.asarray(lrn()(x))
    squares = np.pad(x.astype(np.float64) ** 2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    window = sum(squares[..., i : i + 7] for i in range(5))
    np.testing.assert_allclose(ours, x / (1 + 1e-4 / 5 * window) ** 0.75, rtol=1e-5)


def test_lrn_sums_a_window_of_five_channels_at_the_edges_too():
    # one channel lit: its square reaches the two channels either side, and no further
    x = np.zeros((1, 1, 1, 8), "float32")
    x[..., 1] = 100.0
    y = np.full_like(x, 1.0)
    ours = np.asarray(nets.LRN(k=0.0, alpha=5.0, beta=1.0)(x + y))
    c = np.arange(8)
    in_window = np.abs(c[:, None] - c[None, :]) <= 2  # 3 channels at an edge, 4 next to it
    window = in_window.sum(axis=1) + np.where(in_window[:, 1], 101.0**2 - 1.0, 0.0)
    np.testing.assert_allclose(ours[0, 0, 0], (x + y)[0, 0, 0] / window, rtol=1e-6)


@pytest.mark.parametrize("groups", [2, 3])
def test_grouped_conv_is_keras_grouped_conv_group_by_group(groups, tmp_path):
    import keras
    import tensorflow as tf

    shape = (6, 7, 6)
    ours = nets.GroupedConv2D(6, 3, groups=groups, name="g")
    keras_own = keras.layers.Conv2D(6, 3, groups=groups)
    x = np.random.default_rng(1).normal(size=(2, *shape)).astype("float32")
    ours.build((None, *shape))
    keras_own.build((None, *shape))
    assert [w.shape for w in ours.weights] == [w.shape for w in keras_own.weights]
    keras_own.set_weights(ours.get_weights())
    xt = tf.constant(x)
    outputs, grads = [], []
    for layer in (ours, keras_own):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
            loss = tf.reduce_sum(y * y)
        outputs.append(np.asarray(y))
        grads.append([np.asarray(g) for g in tape.gradient(loss, [xt, *layer.trainable_weights])])
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-5)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    # it saves and loads as itself
    model = keras.Sequential([keras.Input(shape), ours])
    model.save(tmp_path / "m.keras")
    loaded = nets.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("g")) is nets.GroupedConv2D
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


# --- the networks at paper size ------------------------------------------------------------------


def conv(cin, cout, k, groups=1):
    return cout * (cin // groups) * k * k + cout


def fc(nin, nout):
    return nin * nout + nout


def conv_out(n, k, s=1, p=0):  # Caffe convolution: rounds down
    return (n + 2 * p - k) // s + 1


def pool_out(n, k, s):  # Caffe pooling: rounds up
    return int(math.ceil((n - k) / s)) + 1


def test_alexnet_paper_size_matches_caffe():
    side = pool_out(conv_out(256, 11, 4), 3, 2)  # conv1 62 -> pool1 31
    side = pool_out(conv_out(side, 5, 1, 2), 3, 2)  # conv2 31 -> pool2 15
    side = pool_out(conv_out(conv_out(conv_out(side, 3, 1, 1), 3, 1, 1), 3, 1, 1), 3, 2)  # -> 7
    assert side == 7
    expected = (
        conv(1, 96, 11)  # conv1
        + conv(96, 256, 5, groups=2)  # conv2
        + conv(256, 384, 3)  # conv3
        + conv(384, 384, 3, groups=2)  # conv4
        + conv(384, 256, 3, groups=2)  # conv5
        + fc(256 * side * side, 4096)  # fc6: 12,544 inputs (9,216 with DIGITS' 227 crop)
        + fc(4096, 4096)  # fc7
        + fc(4096, 2)  # fc8
    )
    model = nets.alexnet((256, 256, 1), num_classes=2)
    assert model.output.shape == (None, 2)
    assert model.get_layer("pool1").output.shape == (None, 31, 31, 96)
    assert model.get_layer("pool5").output.shape == (None, 7, 7, 256)
    assert model.count_params() == expected == 70_484_674


INCEPTION = [  # 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj (Szegedy et al., table 1)
    (64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64),
    (192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
    (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128),
    (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128),
]


def googlenet_expected(aux):
    total = conv(1, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)
    channels, taps = 192, {}
    for index, (b1, r3, b3, r5, b5, bp) in enumerate(INCEPTION):
        total += conv(channels, b1, 1) + conv(channels, r3, 1) + conv(r3, b3, 3)
        total += conv(channels, r5, 1) + conv(r5, b5, 5) + conv(channels, bp, 1)
        channels = b1 + b3 + b5 + bp
        taps[index] = channels
    side = conv_out(256, 7, 2, 3)  # 128
    for _ in range(4):  # pool1, pool2, pool3, pool4: 64, 32, 16, 8
        side = pool_out(side, 3, 2)
    assert side == 8
    final = pool_out(side, 7, 1)  # the 7x7 average pool leaves 2x2
    total += fc(1024 * final * final, 2)  # loss3/classifier
    if aux:
        aux_side = pool_out(16, 5, 3)  # loss1/loss2 ave_pool on 16x16 maps: 5x5
        for tap in (2, 5):  # after inception 4a (512 channels) and 4d (528)
            total += conv(taps[tap], 128, 1) + fc(128 * aux_side * aux_side, 1024) + fc(1024, 2)
    return total


def test_googlenet_paper_size_matches_caffe():
    model = nets.googlenet((256, 256, 1), num_classes=2, aux_heads=True)
    assert [tuple(o.shape) for o in model.outputs] == [(None, 2)] * 3
    assert model.output_names == ["main", "aux1", "aux2"]
    assert model.get_layer("inception_5b_output").output.shape == (None, 8, 8, 1024)
    assert model.get_layer("aux1_ave_pool").output.shape == (None, 5, 5, 512)
    assert model.count_params() == googlenet_expected(aux=True)
    assert nets.main_output(model).count_params() == googlenet_expected(aux=False)
    plain = nets.googlenet((256, 256, 1), num_classes=2, aux_heads=False)
    assert plain.count_params() == googlenet_expected(aux=False)


def test_narrow_networks_run_a_forward_pass():
    x = np.random.default_rng(4).normal(0, 50, (3, 64, 64, 1)).astype("float32")
    alex = nets.alexnet((64, 64, 1), width=0.25)
    probabilities = np.asarray(alex(x, training=False))
    assert probabilities.shape == (3, 2) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    google = nets.googlenet((64, 64, 1), width=0.25)
    outputs = google(x, training=False)
    assert len(outputs) == 3 and all(np.asarray(o).shape == (3, 2) for o in outputs)
    assert np.isfinite(np.asarray(outputs[0])).all()


# --- evaluation -----------------------------------------------------------------------------------


def test_auc_and_confusion_against_hand_computed_example():
    y = [0, 0, 1, 1, 0, 1]
    p = [0.1, 0.4, 0.35, 0.8, 0.5, 0.5]
    # positive/negative pairs ranked correctly: 0.35 beats 0.1 (1); 0.8 beats all (3);
    # 0.5 beats 0.1 and 0.4 and ties 0.5 (2.5): 6.5 of 9
    result = evaluate.evaluate_binary(y, p)
    assert result["roc_auc"] == pytest.approx(6.5 / 9)
    assert result["confusion"] == [[2, 1], [1, 2]]  # at 0.5: [[TN, FP], [FN, TP]]
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["majority_baseline_accuracy"] == pytest.approx(0.5)
    fpr, tpr, _ = evaluate.roc_curve(y, p)
    assert np.trapezoid(tpr, fpr) == pytest.approx(6.5 / 9)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)


def test_majority_baseline_on_the_real_validation_counts():
    y = np.r_[np.zeros(2_666), np.ones(334)]  # the digits split's validation set
    result = evaluate.evaluate_binary(y, np.zeros_like(y))
    assert result["majority_class"] == 0
    assert result["majority_baseline_accuracy"] == pytest.approx(2_666 / 3_000)
    assert result["accuracy"] == result["majority_baseline_accuracy"]
    assert result["roc_auc"] == pytest.approx(0.5)


def test_compile_classifier_names_the_monitored_accuracy():

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 64, 64, 1), dtype=np.uint8)
    labels = np.array([0, 1] * 4)
    for build, expected in ((nets.alexnet, "val_accuracy"), (nets.googlenet, "val_main_accuracy")):
        model = build((64, 64, 1), num_classes=2, width=0.125)
        outputs, monitor = solver.compile_classifier(model, solver.solver(0.01, 2, 0.9, 5e-4, 0.33, 0.1),
                                                     nets.GOOGLENET_LOSS_WEIGHTS)
        assert monitor == expected
        batches = solver.image_batches(images, labels, images.mean(0), 4, seed=None, outputs=outputs)
        history = model.fit(batches, validation_data=batches, epochs=1, verbose=0)
        assert monitor in history.history


# --- the study's contract: model.build, the figures, the split, the training rule ---------------

DIGITS_TRAINING = {"seed": 1, "epochs": 3, "batch_size": {"alexnet": 32, "googlenet": 32},
                   "momentum": 0.9, "weight_decay": 0.0005, "lr_step_fraction": 0.33,
                   "lr_gamma": 0.1}


def paper_model_cfg(net, **extra):
    return {"net": net, "width": 1.0, "init": "caffe", "input_shape": (256, 256, 1), **extra}


@pytest.mark.parametrize("net, parameters, outputs, monitor", [
    ("alexnet", 70_484_674, None, "val_accuracy"),
    ("googlenet", googlenet_expected(aux=True), ["main", "aux1", "aux2"], "val_main_accuracy"),
])
def test_build_is_the_paper_network_compiled_with_digits_solver(net, parameters, outputs, monitor):
    model = nets.build(paper_model_cfg(net),
                       {**DIGITS_TRAINING, "learning_rate": 0.01, "steps_per_epoch": 10})
    assert model.name == net and model.count_params() == parameters
    assert model.input_shape == (None, 256, 256, 1)
    assert model.compiled and type(model.optimizer).__name__ == "SGD"
    assert model.optimizer.momentum == 0.9 and model.optimizer.weight_decay == 0.0005
    # 3 epochs of 10 steps, down x0.1 after every 33 % (10 steps): DIGITS' "step down"
    schedule = model.optimizer._learning_rate
    assert list(schedule.boundaries) == [10, 20]
    assert np.allclose(schedule.values, [0.01, 0.001, 0.0001])
    assert solver.classifier_outputs(model) == (outputs, monitor)


def test_build_reads_width_init_and_input_shape():
    small = {"net": "alexnet", "width": 0.125, "input_shape": [64, 48, 1]}
    one_step = {**DIGITS_TRAINING, "epochs": 1, "learning_rate": 0.05, "steps_per_epoch": 1}
    caffe = nets.build({**small, "init": "caffe"}, one_step)
    keras_init = nets.build({**small, "init": "keras"}, one_step)
    assert caffe.input_shape == (None, 64, 48, 1)
    assert caffe.count_params() == keras_init.count_params() == nets.alexnet(
        (64, 48, 1), width=0.125).count_params()
    assert np.allclose(caffe.get_layer("conv2").get_weights()[1], 0.1)  # the prototxt's filler
    assert np.allclose(keras_init.get_layer("conv2").get_weights()[1], 0.0)
    assert float(caffe.optimizer.learning_rate) == pytest.approx(0.05)  # no step inside one step
    with pytest.raises(ValueError, match="unknown network 'vgg'"):
        nets.build({**small, "net": "vgg", "init": "keras"}, one_step)


def test_figures_are_the_originals_names_in_the_notebooks_order():
    from audiorepro import plots
    from audiorepro.whales import figures

    assert plots.figure_files(figures.FIGURES) == [
        "train4_specgram.png", "train4.png", "train6.png", "class_histogram.png",
        "baseline_accuracy.png", "model_list.png", "roc.png"]
    assert figures.FIGURES["train6.png"] is figures.FIGURES["train4.png"] is figures.network_image
    assert figures.SWEEP_TABLE not in figures.FIGURES  # a table of the sweep rule, not drawn


def test_protocol_split_is_the_protocols_split_keeping_each_clips_row():
    clips = train_frame(200).assign(row=np.arange(200)[::-1])
    settings = {"train_on": "digits", "train_fraction": 0.8, "seed": 5}
    digits = data.protocol_split("digits", clips, settings)
    assert digits.equals(data.digits_head_tail_split(clips, 0.8))
    stratified = data.protocol_split("stratified", clips, settings)
    assert stratified.equals(data.stratified_split(clips, 0.8, 5))
    assert stratified["row"].tolist() == list(range(199, -1, -1))
    with pytest.raises(ValueError, match="unknown whales protocol 'random'"):
        data.protocol_split("random", clips, settings)


class Named:
    """What a Snakemake job's input, output, params and wildcards offer: attributes, items() and
    iteration over the values."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self._values = values

    def items(self):
        return self._values.items()

    def __iter__(self):
        return iter(self._values.values())


def training_job(tmp_path, net="alexnet", rate="0.01", n=16, epochs=1):
    rng = np.random.default_rng(3)
    labels = np.array([0, 1] * (n // 2))
    packed = rng.integers(0, 256, (n, 129, 30), dtype=np.uint8)
    packed[labels == 1, 40:60] = 255
    np.save(tmp_path / "images.npy", packed)
    order = rng.permutation(n)  # rows of the packed images, not in table order
    split = pd.DataFrame({"clip_name": [f"train{i + 1}.aiff" for i in range(n)], "label": labels,
                          "split": ["train"] * (n - 4) + ["validation"] * 4, "row": order})
    split.to_csv(tmp_path / "split.csv", index=False)
    out = tmp_path / "model"
    return Named(
        rule="whales_train",
        input=Named(images=str(tmp_path / "images.npy"), split=str(tmp_path / "split.csv")),
        output=Named(**{k: str(out / f) for k, f in [
            ("model", "model.keras"), ("history", "history.csv"),
            ("predictions", "predictions.csv"), ("metrics", "metrics.json")]}),
        wildcards=Named(protocol="digits", net=net, rate=rate, seed="1"),
        params=Named(image={"size": [64, 64]}, width=0.125, init="keras",
                     training={**DIGITS_TRAINING, "epochs": epochs,
                               "batch_size": {"alexnet": 5, "googlenet": 4}}),
        threads=1, log=[])


def test_split_images_squashes_every_image_and_means_the_training_rows(tmp_path):
    from audiorepro.whales import train

    job = training_job(tmp_path)
    split, packed = pd.read_csv(job.input.split), np.load(job.input.images)
    images, rows, val, mean = train.split_images(split, packed, [64, 64])
    assert images.dtype == np.uint8 and images.shape == (16, 64, 64, 1)
    assert (images == data.squash(packed, (64, 64), dtype=np.uint8)).all()
    assert rows.clip_name.tolist() == split.clip_name[:12].tolist()
    assert val.clip_name.tolist() == split.clip_name[12:].tolist()
    assert np.array_equal(mean, data.mean_image(images[split.row[:12].to_numpy()]))
    assert not np.allclose(mean, data.mean_image(images))  # the training rows' mean only


def test_build_settings_take_the_rate_and_net_from_the_wildcards(tmp_path):
    from audiorepro.whales import train

    job = training_job(tmp_path, net="googlenet", rate="0.05")
    model_cfg, training_cfg = train.build_settings(job, (64, 64, 1), 27_000)
    assert model_cfg == {"net": "googlenet", "width": 0.125, "init": "keras",
                         "input_shape": (64, 64, 1)}
    assert training_cfg["learning_rate"] == 0.05 and isinstance(training_cfg["learning_rate"], float)
    assert training_cfg["steps_per_epoch"] == 6_750  # 27,000 clips in batches of 4
    assert training_cfg["momentum"] == 0.9 and training_cfg["seed"] == 1
    assert train.build_settings(job, (64, 64, 1), 9)[1]["steps_per_epoch"] == 3  # rounded up


def test_batch_stream_and_the_positive_probability(tmp_path):
    from audiorepro.whales import train

    job = training_job(tmp_path)
    split = pd.read_csv(job.input.split)
    images, rows, val, mean = train.split_images(split, np.load(job.input.images), [64, 64])
    batches = train.batch_stream(images, mean, 5, None)
    stream = batches(rows, 1)
    same = solver.image_batches(images[rows.row.to_numpy()], rows.label, mean, 5, 1)
    assert len(stream) == 3 and all(np.array_equal(stream[i][0], same[i][0]) for i in range(3))
    held = batches(val, None)[0]
    assert np.array_equal(held[0], images[val.row.to_numpy()].astype(np.float32) - mean)
    assert held[1].tolist() == val.label.tolist()
    # GoogLeNet's three outputs: the main one's P(upcall) (a one-output AlexNet: test_run_...)
    model = nets.build(*train.build_settings(training_job(tmp_path, net="googlenet"),
                                             (64, 64, 1), 12))
    outputs, _ = solver.classifier_outputs(model)
    stream = train.batch_stream(images, mean, 4, outputs)(val, None)
    assert stream[0][1].keys() == {"main", "aux1", "aux2"}
    main = nets.main_output(model).predict(stream, verbose=0)
    assert np.allclose(train.positive_probability(model, stream), main[:, 1])


def test_run_writes_the_rules_outputs(tmp_path):
    import json

    from audiorepro.whales import train

    job = training_job(tmp_path)
    train.run(job)
    out = job.output
    metrics = json.loads(open(out.metrics).read())
    assert metrics["variant"] == "alexnet_lr0.01" and metrics["learning_rate"] == 0.01
    assert metrics["clips"] == {"train": 12, "validation": 4}
    assert metrics["input_shape"] == [64, 64, 1] and metrics["monitor"] == "val_accuracy"
    assert metrics["epochs_run"] == 1 and len(metrics["validation_accuracy_by_epoch"]) == 1
    predictions = pd.read_csv(out.predictions)
    assert predictions.columns.tolist() == ["clip_name", "label", "probability"]
    assert predictions.clip_name.tolist() == [f"train{i}.aiff" for i in range(13, 17)]
    assert metrics["validation"]["n"] == 4 and predictions.probability.between(0, 1).all()
    assert pd.read_csv(out.history).columns[0] == "epoch"
    best = nets.load_model(out.model)
    assert best.count_params() == metrics["parameters"]["total"]
