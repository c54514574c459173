"""The whale spectrogram images: the batched renderer against the original pyplot loop."""

import numpy as np
import pytest
import soundfile
from PIL import Image

from audiorepro.whales import spectrogram
from audiorepro.audio import read_audio, write_audio
from audiorepro.errors import InputError

N = spectrogram.SAMPLES


def varied_clips():
    """About twenty clips that stress the scaling: noise, chirps, silence, DC, full scale."""
    rng = np.random.default_rng(0)
    t = np.arange(N) / spectrogram.RATE
    clips = [rng.normal(0, level, N) for level in (1, 30, 1000, 8000)]  # white noise
    for f0, f1 in [(50, 250), (100, 900), (900, 20)]:  # linear chirps, incl. near Nyquist
        clips.append(8000 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / 4)))
    upcall = np.where((t > 0.6) & (t < 1.4), np.sin(2 * np.pi * (80 * t + 60 * t**2)), 0.0)
    clips.append(4000 * upcall + rng.normal(0, 500, N))  # a faint upcall in noise
    clips.append(np.zeros(N))  # silence: a constant image
    clips.append(np.full(N, 1234.0))  # pure DC offset
    clips.append(np.full(N, -32768.0))  # DC at full scale
    clips.append(np.where(np.arange(N) % 2, 32767.0, -32768.0))  # Nyquist at full scale
    clips.append(32767 * np.sign(np.sin(2 * np.pi * 200 * t)))  # clipped square wave
    clips.append(rng.integers(-32768, 32768, N))  # full-range noise
    impulse = np.zeros(N)
    impulse[2000] = 30000
    clips.append(impulse)
    clips.append(np.round(rng.normal(0, 0.6, N)))  # one-LSB dither
    clips.append(3000 * np.sin(2 * np.pi * 500 * t) + 3000)  # tone on an offset
    clips.append(np.cumsum(rng.normal(0, 50, N)))  # brown noise, large low end
    clips.append(np.r_[np.zeros(N // 2), rng.normal(0, 2000, N // 2)])  # silence then noise
    clips.append(1000 * np.sin(2 * np.pi * 1000 * t / 2))  # 500 Hz exactly on a bin
    return np.clip(np.round(np.stack(clips)), -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def clip_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    clips = varied_clips()
    paths = [folder / f"train{i + 1}.aiff" for i in range(len(clips))]
    for path, samples in zip(paths, clips):
        write_audio(path, samples, spectrogram.RATE, format="AIFF")
    return paths, clips


@pytest.fixture(scope="module")
def reference_images(clip_files, tmp_path_factory):
    paths, _ = clip_files
    out = [tmp_path_factory.mktemp("reference") / f"{p.stem}.png" for p in paths]
    spectrogram.render_reference(paths, out)
    return np.stack([np.asarray(Image.open(p)) for p in out])


def test_psd_matches_matplotlib(clip_files):
    from matplotlib import mlab

    _, clips = clip_files
    batch = spectrogram.specgram_batch(clips)
    assert batch.shape == (len(clips), 129, 30)
    for samples, ours in zip(clips, batch):
        theirs = mlab.specgram(samples, NFFT=256, noverlap=128)[0]
        assert np.abs(ours - theirs).max() <= 1e-12 * max(theirs.max(), 1e-300)


def test_batched_pngs_match_the_pyplot_loop(clip_files, reference_images, tmp_path):
    paths, clips = clip_files
    out = [tmp_path / "png" / f"{p.stem}.png" for p in paths]
    packed = spectrogram.render_files(paths, out, workers=2, packed_path=tmp_path / "images.npy")
    written = np.stack([np.asarray(Image.open(p)) for p in out])
    assert np.abs(written.astype(int) - reference_images).max() <= 1
    assert (packed == written).all()
    assert (np.load(tmp_path / "images.npy") == packed).all()
    in_memory = spectrogram.render_batch(clips, [tmp_path / f"m{i}.png" for i in range(len(clips))])
    assert (in_memory == packed).all()


def test_png_layout(clip_files, tmp_path):
    paths, _ = clip_files
    out = tmp_path / "one.png"
    spectrogram.render_files(paths[:1], [out])
    image = Image.open(out)
    assert image.format == "PNG" and image.mode == "L"
    assert image.size == (30, 129)  # 30 wide, 129 tall
    assert np.asarray(image).dtype == np.uint8


def test_dc_row_is_on_top():
    dc = np.full((1, N), 1234, np.int16)
    image = spectrogram.bytescale(spectrogram.specgram_batch(dc))[0]
    assert (image[0] == 255).all()  # row 0 is the DC bin, the brightest
    assert (image[2:] == 0).all()  # the Hann window leaks into bin 1 only
    assert (image.argmax(axis=0) == 0).all()


def test_constant_images_scale_to_zero(reference_images):
    assert (spectrogram.bytescale(np.full((129, 30), 7.5)) == 0).all()
    silent = varied_clips().tolist().index([0] * N)
    assert (reference_images[silent] == 0).all()


def test_bytescale_rounds_like_scipy():
    pxx = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 10.0]])
    # (x - 0) * 25.5, clipped, + 0.5, truncated
    assert spectrogram.bytescale(pxx).tolist() == [[0, 26, 51], [77, 102, 255]]


def test_fast_reader_agrees_with_read_audio(clip_files):
    paths, clips = clip_files
    for path, samples in zip(paths[:5], clips):
        fast = spectrogram._read_plain_aiff(path)
        assert fast is not None and (fast == read_audio(path, rate=2000)[0]).all()
        assert (fast == samples).all()
    assert (spectrogram.read_clips(paths, workers=2) == clips).all()


def bad_clip(folder, kind):
    path = folder / f"bad_{kind}.aiff"
    if kind == "wrong_rate":
        write_audio(path, np.zeros(2 * N, np.int16), 4000, format="AIFF")
    elif kind == "truncated":
        write_audio(path, np.ones(N, np.int16), spectrogram.RATE, format="AIFF")
        path.write_bytes(path.read_bytes()[:-1000])
    elif kind == "short":
        write_audio(path, np.ones(N - 1, np.int16), spectrogram.RATE, format="AIFF")
    elif kind == "stereo":
        soundfile.write(str(path), np.ones((N, 2), np.int16), spectrogram.RATE, subtype="PCM_16",
                        format="AIFF")
    return path


@pytest.mark.parametrize("kind", ["wrong_rate", "truncated", "short", "stereo"])
def test_bad_clip_stops_with_its_name_and_leaves_nothing(clip_files, tmp_path, kind):
    paths, _ = clip_files
    bad = bad_clip(tmp_path, kind)
    inputs = [*paths * 7, bad]  # ~150 clips: several chunks, the bad one in the last
    out_dir = tmp_path / "out"
    out = [out_dir / f"{i}.png" for i in range(len(inputs))]
    with pytest.raises(InputError, match=bad.name):
        spectrogram.render_files(inputs, out, workers=2, packed_path=tmp_path / "images.npy")
    assert not any(out_dir.glob("*")) and not (tmp_path / "images.npy").exists()
    with pytest.raises(InputError, match=bad.name):
        spectrogram.render_reference([bad], [tmp_path / "ref.png"])
    assert not (tmp_path / "ref.png").exists()


def test_render_train_csv_renders_every_clip_it_names_in_its_order(clip_files, tmp_path):
    import pandas as pd

    paths, _ = clip_files
    raw = tmp_path / "raw"
    (raw / "train").mkdir(parents=True)
    chosen = [paths[3], paths[0], paths[5]]
    for path in [*chosen, paths[1]]:  # train1.aiff... one more than train.csv names
        (raw / "train" / path.name).write_bytes(path.read_bytes())
    pd.DataFrame({"clip_name": [p.name for p in chosen], "label": [1, 0, 1]}).to_csv(
        raw / "train.csv", index=False)
    clips, images = spectrogram.render_train_csv(raw, tmp_path / "pngs", tmp_path / "images.npy",
                                                 workers=2)
    assert clips.columns.tolist() == ["clip_name", "label", "row"]
    assert clips.clip_name.tolist() == [p.name for p in chosen] and clips.row.tolist() == [0, 1, 2]
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == sorted(
        f"{p.stem}.png" for p in chosen)
    assert (np.load(tmp_path / "images.npy") == images).all()
    assert (images == spectrogram.render_files(chosen, [tmp_path / f"{i}.png" for i in range(3)])).all()
    for row, path in enumerate(chosen):
        assert (np.asarray(Image.open(tmp_path / "pngs" / f"{path.stem}.png")) == images[row]).all()
