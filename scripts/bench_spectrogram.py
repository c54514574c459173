"""Benchmark: the original per-file pyplot loop against the batched renderer, same clips.

Writes ``--clips`` synthetic 2-kHz AIFF clips (noise plus an upcall-like chirp) to a temporary
folder, renders them both ways (reading and PNG writing included in both; the batched renderer
with all cores, best of ``--repeats`` runs), checks that the images agree within one grey level,
and prints ``spectrogram_speedup=<ratio>``.

    .venv/bin/python scripts/bench_spectrogram.py --clips 2000
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audiorepro.whales import spectrogram  # noqa: E402
from audiorepro.audio import write_audio  # noqa: E402


def synthetic_clips(n, seed=0):
    """n clips of 4,000 int16 samples: noise, and in half of them a rising 60-250 Hz chirp."""
    rng = np.random.default_rng(seed)
    t = np.arange(spectrogram.SAMPLES) / spectrogram.RATE
    noise = rng.normal(0.0, rng.uniform(0.02, 0.2, (n, 1)), (n, spectrogram.SAMPLES))
    start = rng.uniform(0.1, 1.0, (n, 1))
    f0, f1, length = 60.0, 250.0, 0.8
    local = np.clip(t - start, 0.0, length)
    phase = 2 * np.pi * (f0 * local + (f1 - f0) * local**2 / (2 * length))
    inside = (t >= start) & (t <= start + length)
    call = np.where(inside, np.sin(phase), 0.0) * (rng.random((n, 1)) < 0.5) * 0.3
    return np.round(np.clip(noise + call, -1, 1) * 32767).astype(np.int16)


def read_pngs(paths):
    return np.stack([np.asarray(Image.open(p)) for p in paths])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=spectrogram.available_cores())
    parser.add_argument("--repeats", type=int, default=3,
                        help="batched runs (the fastest counts: a 1-s run is easily disturbed by "
                        "other work, the long reference pass averages over it)")
    parser.add_argument("--dir", default=None,
                        help="where clips and PNGs go (default: the system's temporary folder); "
                        "a RAM-backed one keeps disk latency out of the ratio")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_spectrogram_", dir=args.dir) as tmp:
        tmp = Path(tmp)
        clips = [tmp / "clips" / f"train{i + 1}.aiff" for i in range(args.clips)]
        for path, samples in zip(clips, synthetic_clips(args.clips)):
            write_audio(path, samples, spectrogram.RATE, format="AIFF")
        reference_out = [tmp / "reference" / f"{p.stem}.png" for p in clips]
        spectrogram.specgram_reference(np.zeros(spectrogram.SAMPLES, np.int16))  # import pyplot

        os.sync()  # each timed phase starts with no earlier writes pending writeback
        start = time.perf_counter()
        spectrogram.render_reference(clips, reference_out)
        reference_s = time.perf_counter() - start

        batched_runs = []
        for run in range(args.repeats):
            batched_out = [tmp / f"batched{run}" / f"{p.stem}.png" for p in clips]
            os.sync()
            start = time.perf_counter()
            packed = spectrogram.render_files(clips, batched_out, workers=args.workers)
            batched_runs.append(time.perf_counter() - start)
        batched_s = min(batched_runs)

        expected = read_pngs(reference_out).astype(int)
        differences = [np.abs(read_pngs(batched_out) - expected), np.abs(packed - expected)]
        worst = max(int(d.max()) for d in differences)
        differing = int(np.count_nonzero(differences[0]))

    print(f"clips={args.clips}")
    print(f"workers={args.workers}")
    print(f"reference_seconds={reference_s:.3f}")
    print(f"batched_seconds={batched_s:.3f}")
    print(f"batched_runs_seconds={','.join(f'{t:.3f}' for t in batched_runs)}")
    print(f"max_grey_level_difference={worst}")
    print(f"differing_pixels={differing}")
    print(f"spectrogram_speedup={reference_s / batched_s:.1f}")
    if worst > 1:
        print("batched images differ from the reference by over one grey level", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
