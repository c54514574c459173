"""The results archive (docs/archive.md): `archive OUT` writes the run's trained files and their
manifest to one tar; `restore ARCHIVE [--force]` verifies one and puts it in place so that the
workflow regenerates figures and claims without training. Both run in the workflow's folder
(``--directory``) with its configuration files (``--configfile``, as given to snakemake)."""

import argparse
import sys
from pathlib import Path

from audiorepro import archive
from audiorepro.config import ConfigError
from audiorepro.errors import InputError

BASEDIR = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--directory", default=".", help="the run's working folder (default .)")
    parser.add_argument("--configfile", action="append", default=[],
                        help="a configuration file, as given to snakemake (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("archive", help="write the trained files to one tar").add_argument("out")
    restore = sub.add_parser("restore", help="verify an archive and put it in place")
    restore.add_argument("archive", help="a path, an http(s) URL (with --sha256) or s3:// URL")
    restore.add_argument("--force", action="store_true",
                         help="restore even if code, settings or data differ (said on every "
                              "claims row)")
    restore.add_argument("--sha256", default=None, help="the archive's sha256 (needed for URLs)")
    args = parser.parse_args(argv)
    try:
        if args.command == "archive":
            upload = args.out if args.out.startswith("s3://") else None
            local = Path(args.directory) / Path(upload).name if upload else Path(args.out)
            manifest = archive.archive(local, BASEDIR, args.directory, args.configfile)
            print(f"{args.out}: {len(manifest['files'])} trained files of "
                  f"{', '.join(manifest['studies'])} ({local.stat().st_size / 1e6:.1f} MB, "
                  f"sha256 {archive.sha256_file(local)})")
            if upload:  # through Snakemake's S3 storage plugin (audiorepro.objectstore)
                from audiorepro import objectstore

                objectstore.upload(local, upload)
                print(f"uploaded to {upload} (kept here as {local})")
        else:
            archive.restore(args.archive, BASEDIR, args.directory, args.configfile,
                            force=args.force, sha256=args.sha256)
            print("now run `make reproduce` (or snakemake): it regenerates figures and claims")
    except (InputError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
