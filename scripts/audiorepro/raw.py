"""What the rules <study>_raw share: a study's data set in its original layout, from the
configured source, with a ground-truth table.

synthetic: the study's generator writes it (and its ground truth); kaggle: downloaded and
unpacked safely; local: linked from the user's folder. Real data carry no ground truth beyond
their own labels: the table says so by being empty.
"""

from . import rule
from .atomic import atomic_path
from .sources import fetch_raw


def make_raw(snakemake, generate):
    """Run a raw rule: ``generate(dest, **params.synthetic)`` is the study's synthetic generator."""
    p, out = snakemake.params, snakemake.output

    def synthesise(dest):
        truth = generate(dest, **p.synthetic)
        with atomic_path(out.truth) as tmp:
            truth.to_csv(tmp, index=False)
        rule.log.info("synthetic: %d rows of ground truth", len(truth))

    if p.source["kind"] != "synthetic":
        with atomic_path(out.truth) as tmp:
            tmp.write_text("file,label\n")
    fetch_raw(p.source, out.raw, p.members, kaggle_kind=p.kaggle_kind, generate=synthesise,
              staging=p.staging)
