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
