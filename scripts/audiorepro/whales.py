"""The whales study: right-whale upcalls classified as spectrogram images (DIGITS 3 and Caffe).

Splits of ``train.csv``, the DIGITS image pipeline (squash resize, mean image), AlexNet and
GoogLeNet as DIGITS' standard Caffe networks define them, and the evaluation. Nothing here knows
about Snakemake; Keras is imported only by the model functions.

Caffe details kept on purpose: pooling rounds its output size up (the last window may overhang
the edge), LRN divides alpha by the window size, AlexNet's conv2/4/5 are two-group convolutions,
and the weight fillers are the prototxt's (AlexNet: Gaussian; GoogLeNet: Xavier). As the study
notes say, images are 256x256 with no crop: DIGITS' prototxts also crop (227 / 224) and mirror
while training, which is not done here, so fc6 sees 7x7 maps instead of 6x6.
"""

import functools
import math

import numpy as np
import pandas as pd

from .errors import InputError

SPLITS = ("train", "validation")
CLASSES = (0, 1)  # 0: no upcall, 1: upcall (train.csv's label)


# --- train.csv and the splits -----------------------------------------------------------------


def read_train_csv(path):
    """train.csv as a DataFrame ``clip_name, label`` in file order; InputError names bad input."""
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(path, f"is not a readable CSV ({err})") from None
    return check_train_frame(frame, where=path)


def check_train_frame(frame, where="train.csv"):
    """The two columns, non-empty, unique clip names, labels 0 or 1 (other columns kept)."""
    missing = [c for c in ("clip_name", "label") if c not in frame.columns]
    if missing:
        raise InputError(where, f"lacks the column(s) {', '.join(missing)}")
    if frame.empty:
        raise InputError(where, "has no rows")
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = frame.loc[~labels.isin(CLASSES), "clip_name"].head(3).tolist()
    if bad:
        raise InputError(where, f"labels must be 0 or 1; not so for {', '.join(map(str, bad))}")
    twice = frame.loc[frame["clip_name"].duplicated(), "clip_name"].head(3).tolist()
    if twice:
        raise InputError(where, f"names {', '.join(map(str, twice))} more than once")
    return frame.reset_index(drop=True).assign(
        clip_name=frame["clip_name"].astype(str).to_numpy(), label=labels.astype(int).to_numpy()
    )


def _train_count(n, train_fraction):
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1, got {train_fraction}")
    return int(math.floor(train_fraction * n + 0.5))


def digits_head_tail_split(train_csv_frame, train_fraction=0.9):
    """What the notebook's shell did: ``head -n 27000`` trains, ``tail -n 3000`` validates.

    The first round(fraction * n) rows in file order are ``train``, the rest ``validation``
    (the text called it a random 90 %; the code was not random). Returns
    ``clip_name, label, split`` in file order.
    """
    frame = check_train_frame(train_csv_frame)
    n_train = _train_count(len(frame), train_fraction)
    return frame.assign(split=np.where(np.arange(len(frame)) < n_train, "train", "validation"))


def stratified_split(frame, train_fraction, seed):
    """A seeded random split keeping each class's proportion; rows stay in file order."""
    frame = check_train_frame(frame)
    rng = np.random.default_rng(seed)
    in_train = np.zeros(len(frame), bool)
    for label in CLASSES:
        rows = np.flatnonzero(frame["label"].to_numpy() == label)
        chosen = rng.permutation(rows)[: _train_count(len(rows), train_fraction)]
        in_train[chosen] = True
    return frame.assign(split=np.where(in_train, "train", "validation"))


def class_counts(split_frame):
    """Clips per split (rows: train, validation) and class (columns: 0, 1), for the histogram."""
    counts = pd.crosstab(split_frame["split"], split_frame["label"])
    return counts.reindex(index=list(SPLITS), columns=list(CLASSES), fill_value=0).rename_axis(
        index="split", columns="label"
    )


# --- DIGITS' image pipeline ----------------------------------------------------------------


def _pil_bilinear_taps(in_size, out_size, precision_bits=22):
    """Pillow's BILINEAR resampling along one axis, as (indices, fixed-point weights) per output.

    DIGITS squashed with scipy.misc.imresize, i.e. Pillow's ``resize(BILINEAR)``: a triangle
    filter widened by the scale factor when shrinking, weights normalised and then rounded to
    22-bit fixed point (Pillow's ``precompute_coeffs`` and ``normalize_coeffs_8bpc``).
    """
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)
    support = filter_scale
    taps = int(math.ceil(support)) * 2 + 1
    index = np.zeros((out_size, taps), np.int64)
    weight = np.zeros((out_size, taps), np.int64)
    for out in range(out_size):
        center = (out + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        x = np.arange(lo, hi)
        w = np.maximum(0.0, 1.0 - np.abs((x - center + 0.5) / filter_scale))
        w = w / w.sum() if w.sum() else w
        fixed = np.where(w < 0, np.trunc(w * (1 << precision_bits) - 0.5),
                         np.trunc(w * (1 << precision_bits) + 0.5))
        index[out, : len(x)] = x
        weight[out, : len(x)] = fixed
    return index, weight


def _resample_axis(images, taps, axis, precision_bits=22):
    """One Pillow pass along ``axis``: fixed-point sum over the taps, rounded, clipped to uint8.

    int32 is exact here: 255 * 2**22 plus rounding stays below 2**31 (bilinear weights are >= 0).
    """
    index, weight = taps
    shape = [1] * images.ndim
    shape[axis] = len(index)
    out_shape = images.shape[:axis] + (len(index),) + images.shape[axis + 1 :]
    total = np.full(out_shape, 1 << (precision_bits - 1), np.int32)
    for k in range(index.shape[1]):
        if weight[:, k].any():  # upscaling leaves the last tap empty
            column = weight[:, k].astype(np.int32).reshape(shape)
            total += np.take(images, index[:, k], axis=axis) * column
    np.right_shift(total, precision_bits, out=total)
    return np.clip(total, 0, 255).astype(np.uint8)


def squash(images_uint8, size, chunk=64, dtype=np.float32):
    """DIGITS' "squash" resize of (n, rows, cols) uint8 images to (n, H, W, 1) of ``dtype``.

    Bit-exact with Pillow's two-pass BILINEAR resize (uint8 between the passes), vectorised over
    the stack (~0.5 ms an image at 256x256). ``size`` is H (square) or (H, W). The values are
    whole grey levels, so ``dtype=np.uint8`` loses nothing and takes a quarter of the memory
    (30,000 images at 256x256: 2 GB instead of 7.9 GB).
    """
    images = np.asarray(images_uint8)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"squash wants (n, rows, cols) uint8, got {images.dtype} {images.shape}")
    height, width = (size, size) if np.isscalar(size) else size
    n, rows, cols = images.shape
    across = _pil_bilinear_taps(cols, width)
    down = _pil_bilinear_taps(rows, height)
    # Pillow resizes horizontally first (every version, and so for DIGITS' upscaling), except
    # that current Pillow starts vertically when that shrinks the image to a smaller intermediate
    # (found by comparing both orders with Pillow over a grid of sizes).
    vertical_first = height < rows and height * cols < rows * width
    passes = [(down, 1, height != rows), (across, 2, width != cols)]
    passes = passes if vertical_first else passes[::-1]
    out = np.empty((n, height, width, 1), dtype)
    for lo in range(0, n, chunk):
        part = images[lo : lo + chunk]
        for taps, axis, needed in passes:
            part = _resample_axis(part, taps, axis) if needed else part
        out[lo : lo + chunk, :, :, 0] = part
    return out


def mean_image(train_images):
    """The training set's mean image (DIGITS' mean.binaryproto): float32 of one image's shape."""
    return np.mean(np.asarray(train_images), axis=0, dtype=np.float64).astype(np.float32)


def subtract_mean(images, mean):
    """Images minus the mean image, float32 (Caffe's transform with a mean file, no scaling)."""
    return np.asarray(images, np.float32) - np.asarray(mean, np.float32)


# --- Caffe's layers in Keras ---------------------------------------------------------------


def caffe_pooled_size(size, kernel, stride, pad=0):
    """Caffe's pooling output size: rounded up, minus a window that would start in the padding."""
    pooled = int(math.ceil((size + 2 * pad - kernel) / stride)) + 1
    if pad and (pooled - 1) * stride >= size + pad:
        pooled -= 1
    return pooled


@functools.cache
def caffe_layers():
    """The Keras layers Caffe needs, as (LRN, CaffePool2D).

    Defined on first use so that the splits and evaluation import no Keras; call this (or
    :func:`load_model`) before loading a saved model that contains them.
    """
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="audiorepro")
    class LRN(keras.layers.Layer):
        """Caffe's ACROSS_CHANNELS LRN: x / (k + alpha/size * sum of x^2 over `size` channels)^beta.

        (TensorFlow's LRN does not divide alpha by the window size.)
        """

        def __init__(self, size=5, alpha=1e-4, beta=0.75, k=1.0, **kwargs):
            super().__init__(**kwargs)
            self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

        def call(self, x):
            half = self.size // 2
            channels = x.shape[-1]
            squares = ops.pad(ops.square(x), [[0, 0], [0, 0], [0, 0], [half, half]])
            window = sum(squares[..., i : i + channels] for i in range(self.size))
            return x / ops.power(self.k + (self.alpha / self.size) * window, self.beta)

        def get_config(self):
            return {**super().get_config(), "size": self.size, "alpha": self.alpha,
                    "beta": self.beta, "k": self.k}

    @keras.saving.register_keras_serializable(package="audiorepro")
    class CaffePool2D(keras.layers.Layer):
        """Max or average pooling with Caffe's ceil rounding and no padding.

        Keras' 'valid' pooling rounds down, which drops Caffe's last, overhanging window: pad
        right and bottom (with -inf for max) before a 'valid' pool. An overhanging average
        divides by the cells it covers, as Caffe's does.
        """

        def __init__(self, pool_size, strides, mode="max", **kwargs):
            super().__init__(**kwargs)
            self.pool_size, self.strides, self.mode = pool_size, strides, mode

        def call(self, x):
            k, s = self.pool_size, self.strides
            out_h, out_w = (caffe_pooled_size(n, k, s) for n in x.shape[1:3])
            extra_h, extra_w = (out_h - 1) * s + k - x.shape[1], (out_w - 1) * s + k - x.shape[2]
            pads = [[0, 0], [0, extra_h], [0, extra_w], [0, 0]]
            if self.mode == "max":
                if extra_h or extra_w:
                    x = ops.pad(x, pads, constant_values=float("-inf"))
                return ops.max_pool(x, k, s, padding="valid")
            pooled = ops.average_pool(ops.pad(x, pads), k, s, padding="valid")
            return pooled * self._coverage(x.shape[1], x.shape[2], out_h, out_w)

        def _coverage(self, height, width, out_h, out_w):
            def along(size, count):
                starts = np.arange(count) * self.strides
                return np.minimum(starts + self.pool_size, size) - starts

            covered = np.outer(along(height, out_h), along(width, out_w))
            return (self.pool_size**2 / covered).astype("float32")[None, :, :, None]

        def get_config(self):
            return {**super().get_config(), "pool_size": self.pool_size,
                    "strides": self.strides, "mode": self.mode}

    return LRN, CaffePool2D


def load_model(path):
    """keras.saving.load_model for models holding this module's layers."""
    import keras

    caffe_layers()
    return keras.saving.load_model(path)


def _channels(count, width, multiple=1):
    """A channel (or unit) count scaled by ``width``, at least ``multiple`` and a multiple of it."""
    return max(multiple, int(round(count * width / multiple)) * multiple)


def _conv(x, filters, kernel, name, stride=1, pad=0, groups=1, init=None):
    """Caffe convolution + ReLU: symmetric zero padding, then a 'valid' convolution."""
    import keras

    if pad:
        x = keras.layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
    weights, bias = init or ("glorot_uniform", "zeros")
    return keras.layers.Conv2D(filters, kernel, strides=stride, groups=groups, activation="relu",
                               kernel_initializer=weights, bias_initializer=bias, name=name)(x)


def _dense(x, units, name, activation="relu", init=None):
    import keras

    weights, bias = init or ("glorot_uniform", "zeros")
    return keras.layers.Dense(units, activation=activation, kernel_initializer=weights,
                              bias_initializer=bias, name=name)(x)


# --- AlexNet --------------------------------------------------------------------------------


def _gaussian(std, bias):
    import keras

    return keras.initializers.RandomNormal(stddev=std), keras.initializers.Constant(bias)


def alexnet(input_shape=(256, 256, 1), num_classes=2, width=1.0, caffe_init=True):
    """DIGITS 3's standard AlexNet (no crop: fc6 sees 7x7 maps for a 256x256 input).

    ``width`` scales every channel and fc size (even counts: conv2/4/5 use two groups).
    ``caffe_init`` uses the prototxt's Gaussian fillers, else Keras' defaults. Inputs need at
    least 63x63 pixels (pool5 must see a 3x3 map).
    """
    import keras

    LRN, CaffePool2D = caffe_layers()
    c = lambda n: _channels(n, width, multiple=2)  # noqa: E731
    g = _gaussian if caffe_init else (lambda std, bias: None)
    inputs = keras.Input(input_shape, name="data")
    x = _conv(inputs, c(96), 11, "conv1", stride=4, init=g(0.01, 0.0))
    x = CaffePool2D(3, 2, name="pool1")(LRN(name="norm1")(x))
    x = _conv(x, c(256), 5, "conv2", pad=2, groups=2, init=g(0.01, 0.1))
    x = CaffePool2D(3, 2, name="pool2")(LRN(name="norm2")(x))
    x = _conv(x, c(384), 3, "conv3", pad=1, init=g(0.01, 0.0))
    x = _conv(x, c(384), 3, "conv4", pad=1, groups=2, init=g(0.01, 0.1))
    x = _conv(x, c(256), 3, "conv5", pad=1, groups=2, init=g(0.01, 0.1))
    x = keras.layers.Flatten(name="flatten")(CaffePool2D(3, 2, name="pool5")(x))
    x = keras.layers.Dropout(0.5, name="drop6")(_dense(x, c(4096), "fc6", init=g(0.005, 0.1)))
    x = keras.layers.Dropout(0.5, name="drop7")(_dense(x, c(4096), "fc7", init=g(0.005, 0.1)))
    outputs = _dense(x, num_classes, "fc8", activation="softmax", init=g(0.01, 0.0))
    return keras.Model(inputs, outputs, name="alexnet")


# --- GoogLeNet ------------------------------------------------------------------------------

# branch widths: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
POOL_BEFORE = {"4a": "pool3_3x3_s2", "5a": "pool4_3x3_s2"}
GOOGLENET_LOSS_WEIGHTS = {"main": 1.0, "aux1": 0.3, "aux2": 0.3}  # loss3, loss1, loss2 in Caffe


def _xavier(bias):
    """Caffe's Xavier filler (uniform, variance 1/fan_in) and a constant bias."""
    import keras

    return (keras.initializers.VarianceScaling(1.0, "fan_in", "uniform"),
            keras.initializers.Constant(bias))


def _inception(x, name, widths, width, init):
    import keras

    b1, r3, b3, r5, b5, bp = (_channels(n, width) for n in widths)
    one = _conv(x, b1, 1, f"{name}_1x1", init=init)
    three = _conv(_conv(x, r3, 1, f"{name}_3x3_reduce", init=init), b3, 3, f"{name}_3x3", pad=1,
                  init=init)
    five = _conv(_conv(x, r5, 1, f"{name}_5x5_reduce", init=init), b5, 5, f"{name}_5x5", pad=2,
                 init=init)
    pool = keras.layers.MaxPooling2D(3, 1, padding="same", name=f"{name}_pool")(x)  # = Caffe pad 1
    proj = _conv(pool, bp, 1, f"{name}_pool_proj", init=init)
    return keras.layers.Concatenate(name=f"{name}_output")([one, three, five, proj])


def _aux_head(x, name, num_classes, width, init, head_init):
    """Training-time classifier on inception 4a / 4d: avg pool 5/3, 1x1 conv 128, fc 1024."""
    import keras

    _, CaffePool2D = caffe_layers()
    kernel = min(5, *x.shape[1:3])  # Caffe would reject maps under 5x5 (small narrow inputs)
    x = CaffePool2D(kernel, 3, mode="avg", name=f"{name}_ave_pool")(x)
    x = _conv(x, _channels(128, width), 1, f"{name}_conv", init=init)
    x = _dense(keras.layers.Flatten(name=f"{name}_flatten")(x), _channels(1024, width),
               f"{name}_fc", init=init)
    x = keras.layers.Dropout(0.7, name=f"{name}_drop_fc")(x)
    return _dense(x, num_classes, name, activation="softmax", init=head_init)


def googlenet(input_shape=(256, 256, 1), num_classes=2, width=1.0, aux_heads=True,
              caffe_init=True):
    """DIGITS 3's standard GoogLeNet (Inception v1), no crop.

    With ``aux_heads`` the model has three softmax outputs ``main``, ``aux1``, ``aux2`` (Caffe's
    loss3, loss1, loss2): compile with one loss per output name and
    ``loss_weights=GOOGLENET_LOSS_WEIGHTS``, fit with the labels under each name, and predict
    with :func:`main_output`. The final 7x7 average pool leaves 2x2 maps for 256x256 inputs (Caffe
    flattens them into the classifier, as here); it shrinks to the map for smaller inputs.
    """
    import keras

    LRN, CaffePool2D = caffe_layers()
    init = _xavier(0.2) if caffe_init else None
    head_init = _xavier(0.0) if caffe_init else None
    c = lambda n: _channels(n, width)  # noqa: E731
    inputs = keras.Input(input_shape, name="data")
    x = _conv(inputs, c(64), 7, "conv1_7x7_s2", stride=2, pad=3, init=init)
    x = LRN(name="pool1_norm1")(CaffePool2D(3, 2, name="pool1_3x3_s2")(x))
    x = _conv(x, c(64), 1, "conv2_3x3_reduce", init=init)
    x = LRN(name="conv2_norm2")(_conv(x, c(192), 3, "conv2_3x3", pad=1, init=init))
    x = CaffePool2D(3, 2, name="pool2_3x3_s2")(x)
    heads = []
    for block in INCEPTION:
        if block in POOL_BEFORE:
            x = CaffePool2D(3, 2, name=POOL_BEFORE[block])(x)
        x = _inception(x, f"inception_{block}", INCEPTION[block], width, init)
        if aux_heads and block in ("4a", "4d"):
            heads.append(_aux_head(x, f"aux{len(heads) + 1}", num_classes, width, init, head_init))
    kernel = min(7, *x.shape[1:3])
    x = keras.layers.AveragePooling2D(kernel, 1, name="pool5_7x7_s1")(x)
    x = keras.layers.Dropout(0.4, name="pool5_drop")(keras.layers.Flatten(name="flatten")(x))
    main = _dense(x, num_classes, "main", activation="softmax", init=head_init)
    return keras.Model(inputs, [main, *heads] if heads else main, name="googlenet")


def main_output(model):
    """The network without its training-only heads (shares the weights)."""
    import keras

    if not isinstance(model.output, (list, tuple)):
        return model
    return keras.Model(model.input, model.get_layer("main").output, name=f"{model.name}_main")


# --- evaluation -------------------------------------------------------------------------------


def roc_auc(y_true, score):
    """Area under the ROC curve by the rank-sum formula (ties get average ranks)."""
    y_true = np.asarray(y_true).astype(bool)
    score = np.asarray(score, np.float64)
    positives, negatives = int(y_true.sum()), int((~y_true).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based mean rank of each tie group
    rank_sum = average_rank[inverse][y_true].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def roc_curve(y_true, score):
    """False and true positive rates at every distinct threshold (descending), from (0, 0)."""
    y_true = np.asarray(y_true).astype(bool)
    score = np.asarray(score, np.float64)
    order = np.argsort(-score, kind="mergesort")
    score, y_true = score[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]  # end of each tie group
    tp = np.cumsum(y_true)[last]
    fp = np.cumsum(~y_true)[last]
    fpr = np.r_[0.0, fp / max(fp[-1], 1)]
    tpr = np.r_[0.0, tp / max(tp[-1], 1)]
    return fpr, tpr, np.r_[np.inf, score[last]]


def evaluate_binary(y_true, prob_positive, threshold=0.5):
    """Accuracy at ``threshold``, ROC AUC, confusion matrix and the majority-class baseline.

    ``confusion`` is [[true negatives, false positives], [false negatives, true positives]].
    """
    y_true = np.asarray(y_true).astype(int)
    prob_positive = np.asarray(prob_positive, np.float64)
    if y_true.shape != prob_positive.shape or y_true.ndim != 1:
        raise ValueError(f"labels {y_true.shape} and probabilities {prob_positive.shape} differ")
    predicted = (prob_positive >= threshold).astype(int)
    confusion = [[int(np.sum((y_true == t) & (predicted == p))) for p in CLASSES] for t in CLASSES]
    positives = int(y_true.sum())
    majority = int(positives * 2 > len(y_true))
    return {
        "n": int(len(y_true)),
        "positives": positives,
        "accuracy": float(np.mean(predicted == y_true)),
        "roc_auc": roc_auc(y_true, prob_positive),
        "confusion": confusion,
        "majority_class": majority,
        "majority_baseline_accuracy": float(np.mean(y_true == majority)),
        "threshold": float(threshold),
    }
