"""Real folders of recordings: nothing is dropped silently. Links are resolved or refused, files
that are not audio are counted in the log, two files that would become one WAV are refused,
files are named by their content where their name does not say, float samples that 16 bits
cannot hold are refused, short recordings are named all at once, and any failure of a rule is
one line in its log (a full disk says so)."""

import errno
import hashlib
import http.server
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile

from audiorepro import audio, raw, rule
from audiorepro.errors import InputError
from audiorepro.recordings import convert_folder
from conftest import ROOT


def tone(seconds, rate=44100, channels=1, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * freq * t)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def write(path, seconds=1.0, rate=44100, channels=1, subtype="PCM_16", fmt=None):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt is None:
        soundfile.write(str(path), tone(seconds, rate, channels), rate, subtype=subtype)
        return path
    # other containers through ffmpeg, from a WAV
    source = path.with_name(path.name + ".src.wav")
    soundfile.write(str(source), tone(seconds, rate, channels), rate)
    subprocess.run([audio.ffmpeg_executable(), "-v", "error", "-y", "-i", str(source), "-f", fmt,
                    str(path)], check=True)
    source.unlink()
    return path


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*"))


# ---------------------------------------------------------------- links, collisions, skipped files
def test_relative_links_are_resolved_and_the_linked_copy_does_not_dangle(tmp_path):
    store = write(tmp_path / "store" / "take 1.wav")
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "take 1.wav").symlink_to(os.path.relpath(store, folder / "sub"))
    (folder / "linked").symlink_to(os.path.relpath(tmp_path / "store", folder))  # a folder link
    files, skipped = raw.link_recordings(folder, tmp_path / "raw")
    assert listing(tmp_path / "raw") == ["linked", "linked/take 1.wav", "sub", "sub/take 1.wav"]
    for name in ("sub/take 1.wav", "linked/take 1.wav"):
        linked = tmp_path / "raw" / name
        assert not linked.is_symlink() and linked.read_bytes() == store.read_bytes()
    assert skipped == []


def test_a_link_that_leads_nowhere_is_refused_naming_it_and_its_target(tmp_path):
    folder = tmp_path / "data"
    write(folder / "a.wav")
    (folder / "b.wav").symlink_to("../gone/b.wav")
    (folder / "more").symlink_to("../gone-folder")
    with pytest.raises(InputError) as err:
        raw.link_recordings(folder, tmp_path / "raw")
    message = str(err.value)
    assert "2 symbolic link(s) that lead nowhere" in message
    assert "b.wav -> ../gone/b.wav" in message and "more -> ../gone-folder" in message
    assert not (tmp_path / "raw").exists()


def test_a_link_loop_is_walked_once(tmp_path):
    folder = tmp_path / "data"
    write(folder / "a.wav")
    (folder / "loop").symlink_to(".")
    files, _ = raw.find_recordings(folder)
    assert [f.relative_to(folder).as_posix() for f in files] == ["a.wav"]


def test_files_that_are_not_audio_are_counted_and_named_in_the_log(tmp_path, caplog):
    folder = tmp_path / "data"
    write(folder / "a.wav")
    (folder / "notes.txt").write_text("field notes")
    (folder / ".DS_Store").write_bytes(b"\0\0")
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        files, skipped = raw.link_recordings(folder, tmp_path / "raw")
        raw.log_skipped(skipped, folder)
    assert [f.name for f in files] == ["a.wav"]
    assert "skipped 3 file(s) that are not audio by their suffix" in caplog.text
    assert ".DS_Store, cover.jpg, notes.txt" in caplog.text


def test_two_files_that_would_become_one_wav_are_refused_naming_both(tmp_path):
    folder = tmp_path / "data"
    write(folder / "song.wav")
    write(folder / "song.flac", fmt="flac")
    with pytest.raises(InputError, match="song.flac and song.wav would both become song.wav"):
        raw.link_recordings(folder, tmp_path / "raw")
    assert not (tmp_path / "raw").exists()
    shutil_copy = tmp_path / "raw2"
    shutil_copy.mkdir()
    for f in folder.iterdir():
        os.link(f, shutil_copy / f.name)
    with pytest.raises(InputError, match="would both become song.wav"):
        convert_folder(shutil_copy, tmp_path / "audio", 16000)
    assert not (tmp_path / "audio").exists()


# ---------------------------------------------------------------- any format, named by content
@pytest.mark.parametrize("fmt, suffix", [("wav", ".wav"), ("flac", ".flac"), ("mp3", ".mp3"),
                                         ("ogg", ".ogg"), ("opus", ".ogg"), ("ipod", ".m4a"),
                                         ("aiff", ".aiff"), ("adts", ".aac")])
def test_content_names_the_container(tmp_path, fmt, suffix):
    path = write(tmp_path / "noname", fmt=fmt)
    assert audio.sniff_suffix(path) == suffix


def test_a_single_file_of_any_format_ffmpeg_reads_is_a_recording(tmp_path):
    opus = write(tmp_path / "in" / "voice memo.opus", seconds=2.0, rate=48000, fmt="opus")
    files, _ = raw.link_recordings(opus, tmp_path / "raw")
    table = convert_folder(tmp_path / "raw", tmp_path / "audio", 16000)
    assert list(table.file) == ["voice memo.opus"] and list(table.wav) == ["voice memo.wav"]
    assert abs(table.seconds[0] - 2.0) < 0.05
    # a file whose name says nothing takes the suffix of its content
    bare = write(tmp_path / "in" / "take-3", fmt="mp3")
    raw.link_recordings(bare, tmp_path / "raw3")
    assert listing(tmp_path / "raw3") == ["take-3.mp3"]
    page = tmp_path / "in" / "take-4"
    page.write_text("<!DOCTYPE html><html>sign in</html>")
    with pytest.raises(InputError, match="take-4: .* is not an audio file: it is an HTML page"):
        raw.link_recordings(page, tmp_path / "raw4")


class Served(http.server.BaseHTTPRequestHandler):
    files = {}

    def do_GET(self):
        body = Served.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def served():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Served)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_url_whose_name_has_no_suffix_is_named_by_its_content(served, tmp_path):
    from audiorepro.sources import fetch_raw

    song = write(tmp_path / "song", fmt="mp3").read_bytes()
    Served.files = {"/get": song, "/page": b"<html><body>expired link</body></html>"}
    entry = {"url": f"{served}/get", "sha256": hashlib.sha256(song).hexdigest()}
    fetch_raw({"kind": "url", "urls": [entry]}, tmp_path / "raw", [], None,
              settle=raw.name_downloads)
    assert listing(tmp_path / "raw") == ["get.mp3"]
    table = convert_folder(tmp_path / "raw", tmp_path / "audio", 16000)
    assert list(table.wav) == ["get.wav"]
    page = Served.files["/page"]
    entry = {"url": f"{served}/page", "sha256": hashlib.sha256(page).hexdigest()}
    with pytest.raises(InputError, match="page: .source.urls. is not an audio file: it is an HTML"):
        fetch_raw({"kind": "url", "urls": [entry]}, tmp_path / "raw2", [], None,
                  settle=raw.name_downloads)
    assert not (tmp_path / "raw2").exists()


# ---------------------------------------------------------------- float samples
@pytest.mark.parametrize("value, words", [(np.nan, "NaN float samples"),
                                          (np.inf, "infinite float samples"),
                                          (1.7, r"beyond full scale \(peak 1.7")])
def test_float_samples_16_bits_cannot_hold_are_refused_naming_the_file(tmp_path, value, words):
    x = tone(1.0, 16000).astype(np.float32)
    x[8000] = value
    path = tmp_path / "bad float.wav"
    soundfile.write(str(path), x, 16000, subtype="FLOAT")
    with pytest.raises(InputError, match=f"bad float.wav: holds .*{words}.*0.500 s"):
        audio.convert_to_wav(path, tmp_path / "out.wav", 16000)
    assert not (tmp_path / "out.wav").exists()
    x[8000] = 1.0  # full scale itself is fine
    soundfile.write(str(path), x, 16000, subtype="FLOAT")
    assert len(audio.convert_to_wav(path, tmp_path / "out.wav", 16000)) == 16000


# ---------------------------------------------------------------- short recordings
SHORT = {"seconds": 2.0, "key": "orcas.training.segment_seconds", "policy": "error",
         "policy_key": "orcas.audio.short_recordings"}


def varied_folder(folder):
    write(folder / "long stereo.wav", seconds=3.0, channels=2)
    write(folder / "short a.wav", seconds=0.5, rate=22050)
    write(folder / "sub" / "short b.flac", seconds=1.2, rate=48000, fmt="flac")
    write(folder / "long.mp3", seconds=2.5, fmt="mp3")
    return folder


def test_short_recordings_are_named_all_at_once_with_the_keys_to_change(tmp_path):
    folder = varied_folder(tmp_path / "raw")
    with pytest.raises(InputError) as err:
        convert_folder(folder, tmp_path / "audio", 16000, short=SHORT)
    message = str(err.value)
    assert "2 of 4 recordings are shorter than the 2 s that orcas.training.segment_seconds needs" \
        in message
    assert "short a.wav (0.50 s), sub/short b.flac (1.20 s)" in message
    assert "orcas.audio.short_recordings: skip" in message
    assert not (tmp_path / "audio").exists()


def test_short_recordings_are_skipped_only_by_the_setting_with_a_logged_count(tmp_path, caplog):
    folder = varied_folder(tmp_path / "raw")
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        table = convert_folder(folder, tmp_path / "audio", 16000, short={**SHORT, "policy": "skip"})
    assert list(table.file) == ["long stereo.wav", "long.mp3"]
    assert listing(tmp_path / "audio") == ["long stereo.wav", "long.wav", "sub"]
    assert "orcas.audio.short_recordings: skip" in caplog.text and "2 of 4 recordings" in caplog.text
    with pytest.raises(InputError, match="every recording is shorter than the 9 s"):
        convert_folder(folder, tmp_path / "audio2", 16000,
                       short={**SHORT, "policy": "skip", "seconds": 9.0})


# ---------------------------------------------------------------- any failure: one line
def fake_rule(tmp_path):
    log = tmp_path / "logs" / "job.log"
    log.parent.mkdir(exist_ok=True)
    return SimpleNamespace(rule="orcas_scan", log=[str(log)]), log


def last_line(log):
    return log.read_text().strip().splitlines()[-1]


def test_an_unexpected_error_is_one_line_naming_the_rule_the_cause_and_the_code(tmp_path, capsys):
    snakemake, log = fake_rule(tmp_path)

    def main(_):
        pd.DataFrame({"file": ["a"]})["kind"]

    with pytest.raises(SystemExit):
        rule.run(snakemake, main)
    assert last_line(log).endswith("ERROR in rule orcas_scan: KeyError: 'kind' (at "
                                   f"tests/test_recordings.py:{main.__code__.co_firstlineno + 1})")
    assert "Traceback" in log.read_text()  # for whoever debugs it, in the log only
    console = capsys.readouterr().err
    assert "Traceback" not in console and console.count("ERROR in rule orcas_scan") == 1


@pytest.mark.parametrize("number, words", [(errno.ENOSPC, "disk full"),
                                           (errno.EACCES, "permission denied")])
def test_a_machine_fault_says_what_it_is_and_names_the_file(tmp_path, number, words):
    snakemake, log = fake_rule(tmp_path)

    def main(_):
        raise OSError(number, os.strerror(number), "results/orcas/models/lstm/scans.npz")

    with pytest.raises(SystemExit):
        rule.run(snakemake, main)
    assert last_line(log).endswith(f"ERROR in rule orcas_scan: {words}"
                                   + (" (no space left on the device)" if number == errno.ENOSPC
                                      else "") + " (results/orcas/models/lstm/scans.npz)")


def test_a_job_ends_its_log_with_what_it_cost(tmp_path):
    snakemake, log = fake_rule(tmp_path)
    rule.run(snakemake, lambda _: rule.log.info("done"))
    assert re.fullmatch(r".*job cost: wall \d+\.\d s, CPU \d+\.\d s user \+ \d+\.\d s system, "
                        r"peak memory \d+ MB", last_line(log))


JOB = """
import atexit, sys, threading, time
sys.path.insert(0, {scripts!r})
from types import SimpleNamespace
from audiorepro import rule
sys.modules["__main__"].__real_file__ = "copy-of-the-entry-point.py"  # as Snakemake's copy has
atexit.register(lambda: open({marker!r}, "w").write("atexit ran"))
def main(job):
    worker = threading.Thread(target=lambda: (time.sleep(0.3), open({late!r}, "w").write("x")))
    worker.start()
    rule.log.info("written before the end")
    print("stdout line", end="")  # no newline: only a flush writes it
    if {fail!r}:
        raise ValueError("bad")
rule.run(SimpleNamespace(rule="orcas_scan", log=[{log!r}]), main)
print("never reached")
"""


@pytest.mark.parametrize("fail", [False, True])
def test_a_job_process_ends_without_finalisation_but_with_everything_written(tmp_path, fail):
    """exit_now: a job's process skips Python's finalisation, yet waits for its threads, runs
    the atexit functions (logging's shutdown flushes the log), flushes stdout and exits with
    the job's status; outside a job (no __real_file__) rule.run returns as before."""
    log, marker, late = tmp_path / "job.log", tmp_path / "atexit", tmp_path / "late"
    script = tmp_path / "job.py"
    script.write_text(JOB.format(scripts=str(ROOT / "scripts"), marker=str(marker),
                                 late=str(late), log=str(log), fail=fail))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == (1 if fail else 0), proc.stderr
    assert proc.stdout == "stdout line"  # flushed, and nothing after rule.run ran
    assert marker.read_text() == "atexit ran" and late.read_text() == "x"
    text = log.read_text()
    assert "written before the end" in text
    assert ("ERROR in rule orcas_scan: ValueError: bad" in text) == fail
    assert ("job cost:" in text) != fail


def test_keras_starts_without_scikit_learn_which_imports_afterwards():
    code = ("import sys; sys.path.insert(0, {!r}); from types import SimpleNamespace;"
            "from audiorepro import rule;"
            "job = SimpleNamespace(params=SimpleNamespace(backend='tensorflow'), threads=1, log=[],"
            " resources=SimpleNamespace(gpu=0));"
            "rule.use_backend(job); print('sklearn' in sys.modules);"
            "import sklearn.metrics; print('keras' in sys.modules)").format(str(ROOT / "scripts"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.stdout.split() == ["False", "True"], proc.stderr[-2000:]


@pytest.mark.parametrize("threads", [1, 3])
def test_a_job_gives_the_numerical_libraries_its_threads_and_no_more(threads):
    """TensorFlow's intra- and inter-op pools (the inter-op one takes every core unless told),
    OpenMP and MKL get the job's threads; a value the user set wins."""
    names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
             "MKL_NUM_THREADS")
    code = ("import os, sys; sys.path.insert(0, {!r}); from types import SimpleNamespace;"
            "from audiorepro import rule;"
            "job = SimpleNamespace(params=SimpleNamespace(backend='tensorflow'), threads={},"
            " log=[], resources=SimpleNamespace(gpu=0));"
            "rule.use_backend(job); print(*[os.environ[n] for n in {!r}])"
            ).format(str(ROOT / "scripts"), threads, names)
    env = {k: v for k, v in os.environ.items() if k not in names}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.stdout.split() == [str(threads)] * 4, proc.stderr[-2000:]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**env, "TF_NUM_INTEROP_THREADS": "2"})
    assert proc.stdout.split() == [str(threads), "2", str(threads), str(threads)], proc.stderr


@pytest.fixture
def full_disk(tmp_path):
    """A 1-MiB tmpfs (root only; skipped where the machine does not allow mounts)."""
    target = tmp_path / "small"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield target
    subprocess.run(["umount", str(target)], check=True)


def test_a_real_full_disk_says_disk_full_and_leaves_no_partial_output(tmp_path, full_disk):
    folder = tmp_path / "raw"
    write(folder / "long.wav", seconds=60.0)  # 2.6 MB as WAV at 44.1 kHz, 1.9 MB at 16 kHz
    snakemake, log = fake_rule(tmp_path)

    def main(_):
        convert_folder(folder, full_disk / "audio", 16000)

    with pytest.raises(SystemExit):
        rule.run(snakemake, main)
    assert "ERROR in rule orcas_scan: " in last_line(log)
    assert "disk full" in last_line(log) or "No space left" in last_line(log)
    assert os.listdir(full_disk) == []
