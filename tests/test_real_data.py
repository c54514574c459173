"""Recordings the workflow never made, through orcas, sorting and continuation to a complete
claims table: local folders of mixed formats, rates and channel counts, short files, odd names,
a relative link and a file that is not audio; orcas once without annotations and once with
Audacity label tracks (a few minutes)."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from conftest import TINY, run_snakemake

pytestmark = pytest.mark.workflow

from audiorepro.audio import ffmpeg_executable, read_audio  # noqa: E402
from audiorepro.claims import NOT_ANNOTATED  # noqa: E402
from audiorepro.orcas.synth import generate as orcas_tapes  # noqa: E402
from audiorepro.sorting.synth import generate as songs  # noqa: E402

STUDIES = ("orcas", "sorting", "continuation")


def reencode(source, target, rate, channels, codec_args=()):
    """``source`` decoded and written as ``target`` (format by suffix) at ``rate``/``channels``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_executable(), "-v", "error", "-y", "-i", str(source), "-ar", str(rate),
                    "-ac", str(channels), *codec_args, str(target)], check=True)


def short_clip(path, seconds, rate=22050):
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(str(path), 0.2 * np.sin(2 * np.pi * 700 * t), rate)


def audacity_labels(truth, folder):
    """One Audacity label track per tape (``<stem>.txt``: start, end, label; a frequency line
    under each label, as Audacity writes spectral selections)."""
    folder.mkdir(parents=True, exist_ok=True)
    for file, rows in truth.groupby("file"):
        lines = []
        for r in rows.itertuples():
            lines += [f"{r.start:.6f}\t{r.end:.6f}\t{r.kind}", "\\\t500.000000\t8000.000000"]
        (folder / f"{Path(file).stem}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Local folders as people have them: one per study, plus the orcas annotations."""
    root = tmp_path_factory.mktemp("recordings")
    made = tmp_path_factory.mktemp("generated")
    # orcas: hydrophone tapes at 48 kHz stereo FLAC, 22.05 kHz mono WAV in a subfolder, and an
    # mp3 kept elsewhere and linked in by a relative link; names with spaces; a clip shorter
    # than a training segment; a text file
    truth = orcas_tapes(made / "tapes", n_tapes=3, seconds=20.0, seed=5)
    tapes = sorted((made / "tapes").glob("*.mp3"))
    orcas, archive = root / "orcas", root / "archive"
    renamed = {}
    for tape, (target, rate, channels) in zip(tapes, [
            (orcas / "Tape 2006 A.flac", 48000, 2), (orcas / "site 1" / "tape_b 22k.wav", 22050, 1),
            (archive / "tape-c.mp3", 44100, 2)]):
        reencode(tape, target, rate, channels)
        renamed[tape.name] = target.stem
    (orcas / "site 1" / "tape-c.mp3").symlink_to(os.path.relpath(archive / "tape-c.mp3",
                                                                 orcas / "site 1"))
    short_clip(orcas / "hydrophone check.wav", 0.3)
    (orcas / "README.txt").write_text("Deployment notes\n")
    audacity_labels(truth.assign(file=truth.file.map(renamed)), root / "orcas labels")
    # a label track of the short clip, which the run leaves out (short_recordings: skip)
    (root / "orcas labels" / "hydrophone check.txt").write_text("0.050000\t0.250000\twhistle\n")
    # sorting: songs as FLAC, Ogg Vorbis, WAV at mixed rates; one song too short for the grid
    songs(made / "songs", n_songs=4, seconds=6.0, seed=7)
    sorting = root / "sorting"
    for song, (name, rate, channels) in zip(sorted((made / "songs").glob("*.mp3")),
                                            [("01 Intro.flac", 44100, 2), ("02 Drop.ogg", 48000, 2),
                                             ("03 (remix).wav", 32000, 1), ("04 outro.mp3", 44100, 1)]):
        reencode(song, sorting / name, rate, channels)
    short_clip(sorting / "05 jingle.wav", 0.02)
    # continuation: a folder of three recordings of a song, of different lengths and formats
    songs(made / "long", n_songs=1, seconds=18.0, seed=9)
    long_song = next((made / "long").glob("*.mp3"))
    continuation = root / "continuation"
    for i, (start, length, name, rate, channels) in enumerate(
            [(0, 8, "part 1.wav", 44100, 2), (8, 6, "part 2.flac", 48000, 1),
             (14, 4, "part 3.mp3", 22050, 2)]):
        target = continuation / name
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([ffmpeg_executable(), "-v", "error", "-y", "-ss", str(start), "-t",
                        str(length), "-i", str(long_song), "-ar", str(rate), "-ac", str(channels),
                        str(target)], check=True)
    # and a second song as a record has it: 3 s of digital silence, then the song, faded out
    songs(made / "second", n_songs=1, seconds=9.0, seed=11)
    reencode(next((made / "second").glob("*.mp3")), made / "second.wav", 22050, 1)
    second, rate = soundfile.read(made / "second.wav", dtype="float32")
    second[-3 * rate:] *= np.linspace(1, 0, 3 * rate)
    soundfile.write(str(continuation / "song 2.wav"), np.concatenate(
        [np.zeros(3 * rate, np.float32), second]), rate, subtype="PCM_16")
    return {"orcas": orcas, "labels": root / "orcas labels", "sorting": sorting,
            "continuation": continuation}


def config_file(path, folders, annotations=None):
    """The three studies on the local folders. Sorting trains one seed per grid point (tiny.yaml:
    two), which its claims handle with the sampling interval of that seed: the tiny run of the
    other workflow tests covers two seeds, this test the recordings (half the training)."""
    orcas_annotations = (f"\n  annotations: {{path: '{annotations}', format: audacity}}"
                         if annotations else "")
    path.write_text(f"""studies: [orcas, sorting, continuation]
orcas:
  source: {{kind: local, local_path: '{folders['orcas']}'}}
  audio: {{short_recordings: skip}}{orcas_annotations}
sorting:
  source: {{kind: local, local_path: '{folders['sorting']}'}}
  audio: {{short_recordings: skip}}
  replicates: 1
continuation:
  source: {{kind: local, local_path: '{folders['continuation']}'}}
""")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory, folders):
    work = tmp_path_factory.mktemp("real")
    plain = config_file(work / "plain.yaml", folders)
    run_snakemake(work, configfiles=(TINY, plain))
    first = pd.read_csv(work / "results" / "claims.csv")
    annotated = config_file(work / "annotated.yaml", folders, annotations=folders["labels"])
    rerun = run_snakemake(work, configfiles=(TINY, annotated))
    second = pd.read_csv(work / "results" / "claims.csv")
    return work, first, second, rerun


def test_every_recording_is_converted_or_counted_never_dropped(runs):
    work, *_ = runs
    orcas = pd.read_csv(work / "results/orcas/audio.csv")
    assert sorted(orcas.file) == ["Tape 2006 A.flac", "site 1/tape-c.mp3", "site 1/tape_b 22k.wav"]
    for wav in orcas.wav:  # 16-bit mono at 16 kHz whatever came in
        samples, rate = read_audio(work / "results/orcas/audio" / wav, rate=16000, channels=1)
        assert abs(len(samples) / rate - 20.0) < 0.1
    log = (work / "results/orcas/logs/raw.log").read_text()
    assert "skipped 1 file(s) that are not audio by their suffix" in log and "README.txt" in log
    convert = (work / "results/orcas/logs/convert.log").read_text()
    assert "1 of 4 recordings are shorter than the" in convert
    assert "hydrophone check.wav (0.30 s)" in convert
    sorting = pd.read_csv(work / "results/sorting/audio/music.csv")
    assert list(sorting.file) == ["01 Intro.flac", "02 Drop.ogg", "03 (remix).wav", "04 outro.mp3"]
    assert "05 jingle.wav (0.02 s)" in (work / "results/sorting/logs/convert.log").read_text()
    continuation = pd.read_csv(work / "results/continuation/audio.csv")
    assert list(continuation.file) == ["part 1.wav", "part 2.flac", "part 3.mp3", "song 2.wav"]


def test_the_claims_table_is_complete_and_says_what_real_data_cannot_decide(runs):
    _, first, second, _ = runs
    for table in (first, second):
        assert set(table.study) >= set(STUDIES)
        built = table[table.study.isin(STUDIES)]
        assert not built.verdict.str.startswith("study not built").any()
        assert not built.verdict.isna().any() and (built.ours.astype(str) != "").all()
    orcas = first[first.study == "orcas"].set_index("id")
    assert list(orcas.loc[["O1", "O2", "O3", "O4", "O5"], "verdict"]) == [NOT_ANNOTATED] * 5
    # real recordings are not embedded data: numbers about the original data sets are judged
    assert not first[first.study.isin(STUDIES)].verdict.eq("not testable on embedded data").any()


def test_annotation_tables_decide_the_whistle_claims_on_real_audio(runs):
    work, first, second, rerun = runs
    orcas = second[second.study == "orcas"].set_index("id")
    # decided on the audio now; one seed of a correlation gives no interval of its own, so it
    # may say so rather than decide (orcas.replicates: 3 decides it)
    for claim in ("O1", "O2", "O3", "O4"):
        assert orcas.loc[claim, "verdict"] in ("holds", "differs", "inconclusive: one seed",
                                               "inconclusive"), orcas.loc[claim].to_dict()
    annotations = pd.read_csv(work / "results/orcas/annotations.csv")
    assert {"whistle", "speech"} <= set(annotations.kind)
    assert "hydrophone check.wav" not in set(annotations.file)
    log = (work / "results/orcas/logs/annotations.log").read_text()
    assert "1 annotation row(s) of 1 recording(s) left out of the run dropped: " \
           "hydrophone check.wav" in log
    # annotations change what is measured, not what was trained
    plan = (rerun.stdout + rerun.stderr).split("Job stats:")[1].split("total")[0]
    assert "orcas_scan" in plan and "orcas_train" not in plan


def test_continuation_compares_the_model_with_trivial_predictors(runs):
    work, first, *_ = runs
    import json

    metrics = json.loads((work / "results/continuation/models/original/seed1/metrics.json").read_text())
    assert set(metrics["baselines"]) == {"zero", "repeat_last"}
    assert isinstance(metrics["beats_baselines"], bool)
    continuation = first[first.study == "continuation"].set_index("id")
    assert continuation.loc["N5", "verdict"] != "holds" or metrics["beats_baselines"]


def test_continuation_says_when_the_generation_collapsed_and_what_it_cannot_compare(runs):
    import json

    work, first, *_ = runs
    seed = work / "results/continuation/models/original/seed1"
    generation = json.loads((seed / "generation.json").read_text())
    metrics = json.loads((seed / "metrics.json").read_text())
    collapse = generation["collapse"]
    # the silent intro does not stretch the data's level band down to silence
    assert collapse["level"]["active_seconds"] < collapse["level"]["data_seconds"]
    assert collapse["level"]["band"][0] > 1e-3
    assert generation["generation_collapsed"] and collapse["collapsed_seconds"] >= 3, collapse
    rows = first[first.study == "continuation"].set_index("id")
    assert rows.loc["N9", "verdict"] == "differs"
    for claim in ("N4", "N5"):
        assert rows.loc[claim, "verdict"].startswith("not comparable: "), rows.loc[claim].to_dict()
    if not metrics["beats_baselines"]:  # N3 too: the network learned nothing
        for claim in ("N3", "N5"):
            assert rows.loc[claim, "verdict"].startswith("not comparable: the network learned")
    else:
        assert "the generated audio collapsed" in rows.loc["N5", "verdict"]
    assert "parameter model" in rows.loc["N4", "verdict"]
