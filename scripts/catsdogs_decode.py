"""Rule catsdogs_decode: decode and check every file once, pack the audio for training and figures.
What the data set's folder holds beside its WAVs is counted and named in the log."""

from pathlib import Path

from audiorepro import rule
from audiorepro.catsdogs.data import FOLDER, file_table, wav_names
from audiorepro.clips import pack_clips, write_pack


def main(snakemake):
    folder = Path(snakemake.input.raw) / FOLDER
    audio = snakemake.params.audio
    table = file_table(wav_names(folder), folder=folder)
    packed, samples = pack_clips(table, folder, audio["rate"], audio["min_seconds"], audio["max_seconds"])
    write_pack(packed, samples, snakemake.output.clips, snakemake.output.samples)
    rule.log.info("%d files (%d cats, %d dogs), %.1f s", len(packed), (packed.label == 0).sum(),
                  (packed.label == 1).sum(), packed.seconds.sum())


rule.run(snakemake, main)  # noqa: F821
