"""Rules <study>_convert: every raw file to 16-bit mono WAV at the study's rate (ffmpeg's
band-limited resampling), in name order; the table says which file holds what."""

from audiorepro import rule
from audiorepro.recordings import convert_folder, write_table


def main(snakemake):
    table = convert_folder(snakemake.input.raw, snakemake.output.audio, snakemake.params.rate,
                           short=getattr(snakemake.params, "short", None))
    write_table(table, snakemake.output.table)
    rule.log.info("%d recording(s), %.1f s in all", len(table), table.seconds.sum())


rule.run(snakemake, main)  # noqa: F821
