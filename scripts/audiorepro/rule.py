"""Running a rule's entry point: logging to the rule's log, one clear line for bad input."""

import logging
import sys

from .config import ConfigError
from .errors import InputError

log = logging.getLogger("audiorepro")


def run(snakemake, main):
    """Call ``main(snakemake)``; bad input ends the job with one line naming the file and problem."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(snakemake.log[0], mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    try:
        main(snakemake)
    except (InputError, ConfigError) as err:
        log.error("ERROR in rule %s: %s", snakemake.rule, err)
        sys.exit(1)
