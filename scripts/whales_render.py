"""Rule whales_render: every training clip of train.csv to a 30x129 PNG, plus one packed array."""

from audiorepro import rule
from audiorepro.atomic import atomic_path
from audiorepro.whales.spectrogram import render_train_csv


def main(snakemake):
    out = snakemake.output
    clips, images = render_train_csv(snakemake.input.raw, out.pngs, out.images,
                                     workers=snakemake.threads)
    with atomic_path(out.clips) as tmp:
        clips.to_csv(tmp, index=False)
    rule.log.info("%d clips rendered to %s images, %d positive", len(clips), images.shape[1:],
                  clips.label.sum())


rule.run(snakemake, main)  # noqa: F821
