import numpy as np
import pytest
import soundfile

from audiorepro.audio import convert_to_wav, declared_frames, read_audio, write_audio
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


def test_pydub_converts_mp3_to_16k_mono_wav(tmp_path, tone):
    from pydub import AudioSegment

    from audiorepro.audio import ffmpeg_executable

    AudioSegment.converter = ffmpeg_executable()
    stereo = np.stack([tone, tone], 1).ravel()
    seg = AudioSegment(stereo.tobytes(), frame_rate=16000, sample_width=2, channels=2)
    seg = seg.set_frame_rate(44100)
    seg.export(tmp_path / "song.mp3", format="mp3")
    samples = convert_to_wav(tmp_path / "song.mp3", tmp_path / "song.wav", 16000)
    x, rate = read_audio(tmp_path / "song.wav", rate=16000, channels=1)
    assert rate == 16000 and np.array_equal(x, samples)
    assert abs(len(x) - 16000) < 2000  # mp3 adds encoder padding, not whole seconds
    spectrum = np.abs(np.fft.rfft(x[2000:14000].astype(float)))
    assert abs(np.argmax(spectrum) * 16000 / 12000 - 440) < 5


def test_undecodable_mp3_is_an_error_naming_it(tmp_path):
    (tmp_path / "bad.mp3").write_bytes(b"ID3" + bytes(500))
    with pytest.raises(InputError, match=r"bad.mp3: cannot be decoded by ffmpeg"):
        convert_to_wav(tmp_path / "bad.mp3", tmp_path / "bad.wav", 16000)
    assert not (tmp_path / "bad.wav").exists()
