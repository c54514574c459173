"""The results archive (docs/archive.md): `archive OUT` writes the run's trained files and their
manifest to one tar; `restore ARCHIVE [--force]` verifies one and puts it in place so that the
workflow regenerates figures and claims without training. Both run in the workflow's folder
(``--directory``) with its configuration files (``--configfile``, as given to snakemake)."""

import sys
from pathlib import Path

from audiorepro import archive

if __name__ == "__main__":
    sys.exit(archive.main(sys.argv[1:], Path(__file__).resolve().parents[1]))
