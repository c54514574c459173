import numpy as np
import pytest
import soundfile

from audiorepro.audio import convert_to_wav, declared_frames, read_audio, write_audio, write_mp3
from audiorepro.errors import InputError


def test_round_trip_wav_and_aiff(tmp_path, tone):
    write_audio(tmp_path / "a.wav", tone, 16000)
    write_audio(tmp_path / "a.aiff", tone[:4000], 2000, format="AIFF")
    x, rate = read_audio(tmp_path / "a.wav", rate=16000)
    assert rate == 16000 and np.array_equal(x, tone)
    y, rate = read_audio(tmp_path / "a.aiff", rate=2000)
    assert rate == 2000 and np.array_equal(y, tone[:4000])
    # AIFF is big-endian: the first sample's bytes appear high byte first after the SSND header
    raw = (tmp_path / "a.aiff").read_bytes()
    assert raw[:4] == b"FORM" and raw[8:12] == b"AIFF"
    start = raw.index(b"SSND") + 16
    assert int.from_bytes(raw[start + 2:start + 4], "big", signed=True) == tone[1]
    assert declared_frames(tmp_path / "a.aiff") == 4000


@pytest.mark.parametrize("suffix,fmt", [(".wav", "WAV"), (".aiff", "AIFF")])
def test_truncated_file_is_an_error_naming_it(tmp_path, tone, suffix, fmt):
    path = tmp_path / f"clip{suffix}"
    write_audio(path, tone, 16000, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=rf"clip{suffix}: truncated: header declares 16000 frames"):
        read_audio(path, rate=16000)


def test_wrong_rate_channels_length_and_garbage(tmp_path, tone):
    write_audio(tmp_path / "r.wav", tone, 8000)
    with pytest.raises(InputError, match=r"r.wav: sample rate is 8000 Hz, expected 16000 Hz"):
        read_audio(tmp_path / "r.wav", rate=16000)
    soundfile.write(tmp_path / "s.wav", np.stack([tone, tone], 1), 16000, subtype="PCM_16")
    with pytest.raises(InputError, match=r"s.wav: has 2 channels, expected 1"):
        read_audio(tmp_path / "s.wav", rate=16000)
    with pytest.raises(InputError, match=r"r.wav: is 2.000 s long, shorter than 2.5 s"):
        read_audio(tmp_path / "r.wav", min_seconds=2.5)
    (tmp_path / "g.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    with pytest.raises(InputError, match=r"g.wav: cannot be decoded"):
        read_audio(tmp_path / "g.wav")
    soundfile.write(tmp_path / "f.wav", tone / 32768, 16000, subtype="FLOAT")
    with pytest.raises(InputError, match=r"f.wav: expected 16-bit PCM, found FLOAT"):
        read_audio(tmp_path / "f.wav")


def sine(freq, seconds, rate, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t) * 32767).round().astype(np.int16)


def peak(samples, rate):
    """(frequency in Hz, level in dBFS) of the strongest spectral line, Hann-windowed."""
    x = samples.astype(float) / 32767
    window = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * window)) * 2 / window.sum()
    k = int(np.argmax(spectrum))
    return k * rate / len(x), 20 * np.log10(spectrum[k] + 1e-12)


@pytest.mark.parametrize("freq", [8200, 12000])
def test_conversion_filters_content_above_the_new_nyquist_frequency(tmp_path, freq):
    # pydub's set_frame_rate (audioop.ratecv) turned a 12-kHz tone into a loud 4-kHz alias;
    # ffmpeg's default filter lets 8.2 kHz through as a 7.8-kHz alias only 15 dB down
    write_audio(tmp_path / "high.wav", sine(freq, 2, 44100), 44100)
    x = convert_to_wav(tmp_path / "high.wav", tmp_path / "high16.wav", 16000)
    _, level = peak(x[800:-800], 16000)
    assert level <= 20 * np.log10(0.5) - 40  # at least 40 dB below the 0.5-amplitude input


@pytest.mark.parametrize("freq", [1000, 6000, 7000])
def test_conversion_keeps_tones_below_nyquist_in_frequency_and_level(tmp_path, freq):
    write_audio(tmp_path / "tone.wav", sine(freq, 2, 44100), 44100)
    x = convert_to_wav(tmp_path / "tone.wav", tmp_path / "tone16.wav", 16000)
    assert len(x) == 32000
    found, level = peak(x[800:-800], 16000)
    assert abs(found - freq) < 2
    assert abs(level - 20 * np.log10(0.5)) < 0.5


def test_conversion_averages_stereo_to_mono_and_writes_what_it_returns(tmp_path):
    left = sine(1000, 1, 16000, amplitude=0.8)
    stereo = np.stack([left, np.zeros_like(left)], 1)
    soundfile.write(tmp_path / "st.wav", stereo, 16000, subtype="PCM_16")
    x = convert_to_wav(tmp_path / "st.wav", tmp_path / "mono.wav", 16000)
    y, rate = read_audio(tmp_path / "mono.wav", rate=16000, channels=1)
    assert np.array_equal(x, y) and len(y) == 16000
    assert np.max(np.abs(y.astype(int) - left.astype(int) / 2)) <= 1  # (L + R) / 2, no +3 dB


def test_mp3_round_trip_keeps_length_and_frequency(tmp_path):
    tone = sine(3000, 1.5, 44100)
    write_mp3(tmp_path / "tape.mp3", np.stack([tone, tone], 1), 44100)
    assert (tmp_path / "tape.mp3").read_bytes()[:3] != b"ID3"  # no tag, audio frames only
    x = convert_to_wav(tmp_path / "tape.mp3", tmp_path / "tape.wav", 16000)
    assert abs(len(x) - 24000) <= 50  # the LAME header lets ffmpeg trim delay and padding
    found, level = peak(x[1000:-1000], 16000)
    assert abs(found - 3000) < 2 and abs(level - 20 * np.log10(0.5)) < 1


def test_mp3_writing_is_deterministic_and_atomic(tmp_path):
    noise = np.random.default_rng(3).integers(-8000, 8000, (44100, 2)).astype(np.int16)
    write_mp3(tmp_path / "a.mp3", noise, 44100)
    write_mp3(tmp_path / "b.mp3", noise, 44100)
    write_mp3(tmp_path / "m.mp3", noise[:, 0], 44100, bitrate="64k")
    assert (tmp_path / "a.mp3").read_bytes() == (tmp_path / "b.mp3").read_bytes()
    assert (tmp_path / "m.mp3").stat().st_size < (tmp_path / "a.mp3").stat().st_size
    with pytest.raises(TypeError, match="int16"):
        write_mp3(tmp_path / "f.mp3", noise.astype(float), 44100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp3", "b.mp3", "m.mp3"]


FFMPEG_FAILS = (r"cannot be decoded by ffmpeg \(Failed to find two consecutive MPEG audio frames "
                r"/ Error opening input files: Invalid data found when processing input\)$")


@pytest.mark.parametrize("content,message", [
    (b"ID3" + bytes(500), FFMPEG_FAILS),  # an mp3 by its tag, with no audio frame
    (b"hello, this is a text file\n" * 40, "is not audio by its content: it looks like text$"),
    (b"", "is not audio by its content: it is empty$")], ids=["tag-only", "text", "empty"])
def test_undecodable_mp3_is_an_error_naming_it(tmp_path, content, message):
    (tmp_path / "bad.mp3").write_bytes(content)
    with pytest.raises(InputError, match=r"bad.mp3: " + message) as err:
        convert_to_wav(tmp_path / "bad.mp3", tmp_path / "bad.wav", 16000)
    assert "hello" not in str(err.value)  # never the file's contents
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp3"]


def test_cut_or_damaged_mp3_is_an_error_not_a_shorter_clip(tmp_path):
    write_mp3(tmp_path / "whole.mp3", sine(440, 2, 44100), 44100)
    data = (tmp_path / "whole.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.mp3: truncated: header declares 2.00 s, only 0.9\d s decode"):
        convert_to_wav(tmp_path / "cut.mp3", tmp_path / "cut.wav", 16000)
    damaged = bytearray(data)
    damaged[3000:9000] = bytes(6000)
    (tmp_path / "damaged.mp3").write_bytes(bytes(damaged))
    with pytest.raises(InputError, match=r"damaged.mp3: cannot be decoded by ffmpeg \(.+\)$"):
        convert_to_wav(tmp_path / "damaged.mp3", tmp_path / "damaged.wav", 16000)
    assert not (tmp_path / "cut.wav").exists() and not (tmp_path / "damaged.wav").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
