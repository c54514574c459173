"""Rule whales_render: every training clip of train.csv to a 30x129 PNG, plus one packed array."""

from pathlib import Path

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.whales.spectrogram import render_files
from audiorepro.whales.data import read_train_csv


def main(snakemake):
    raw, out = Path(snakemake.input.raw), snakemake.output
    clips = read_train_csv(raw / "train.csv")
    paths_in = [raw / "train" / name for name in clips.clip_name]
    with atomic_path(out.pngs, is_dir=True) as folder:
        paths_out = [folder / Path(name).with_suffix(".png").name for name in clips.clip_name]
        images = render_files(paths_in, paths_out, workers=snakemake.threads, packed_path=out.images)
    clips = clips.assign(row=range(len(clips)))
    with atomic_path(out.clips) as tmp:
        clips.to_csv(tmp, index=False)
    rule.log.info("%d clips rendered to %s images, %d positive", len(clips), images.shape[1:],
                  clips.label.sum())


rule.run(snakemake, main)
