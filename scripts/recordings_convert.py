"""Rules <study>_convert: every raw file to 16-bit mono WAV at the study's rate (ffmpeg's
band-limited resampling), in name order; the table says which file holds what, and
``coverage/convert.json`` how many of the recordings found were kept (a skip of short ones
that removes more than a quarter is a warning there and in the log). A file that cannot be
converted is named as the user's own file (a local source) with its copy under raw/."""

from audiorepro import rule
from audiorepro.raw import source_names
from audiorepro.recordings import convert_folder, write_table


def main(snakemake):
    p = snakemake.params
    table = convert_folder(snakemake.input.raw, snakemake.output.audio, p.rate,
                           short=getattr(p, "short", None),
                           origin=source_names(getattr(p, "source", None)),
                           coverage_path=snakemake.output.coverage)
    write_table(table, snakemake.output.table)
    rule.log.info("%d recording(s), %.1f s in all", len(table), table.seconds.sum())


rule.run(snakemake, main)  # noqa: F821
