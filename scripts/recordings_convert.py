"""Rules <study>_convert: every raw file to 16-bit mono WAV at the study's rate (ffmpeg's
band-limited resampling), in name order; the table says which file holds what, and
``coverage/convert.json`` how many of the recordings found were kept (a skip of short ones
that removes more than a quarter is a warning there and in the log). A file that cannot be
converted is named as the user's own file (a local source) with its copy under raw/."""

from audiorepro import recordings, rule

rule.run(snakemake, recordings.run)  # noqa: F821
