"""Rule claims: every claim of the originals, ours beside it, a verdict; CSV and Markdown."""

from pathlib import Path

import pandas as pd

from audiorepro import claims, provenance, rule
from audiorepro.atomic import atomic_path


def configuration(study, kind, section):
    """The data source and a short fingerprint of the study's settings."""
    return f"{kind} data; settings {provenance.settings_digest(section)}"


def main(snakemake):
    p = snakemake.params
    rows = []
    commit = provenance.commit(p.basedir)
    for path in snakemake.input.claims:
        study = Path(path).parent.name
        listed = claims.load_claims(path)
        if study not in p.built:
            rows += claims.placeholder_rows(study, listed, claims.NOT_BUILT)
        elif study not in p.studies:
            rows += claims.placeholder_rows(study, listed, claims.NOT_IN_CONFIG)
        else:
            context = p.contexts.get(study, {})
            for claim in listed:  # references may name the run's settings, e.g. {protocol}
                for field in [f for f in ("measure", "counts", "seeds") if f in claim]:
                    refs = claim[field]
                    fill = lambda r: r if r is None else r.format(**context)  # noqa: E731
                    claim[field] = [fill(r) for r in refs] if isinstance(refs, list) else fill(refs)
            results = claims.Results(Path(p.results) / study)
            made = claims.study_rows(study, listed, results, p.sources[study] == "synthetic",
                                     configuration(study, p.sources[study], p.configuration[study]),
                                     available=set(p.available[study]),
                                     annotated=p.ground_truth.get(study, True))
            stamp = {"commit": commit, "code": provenance.code_hash(p.basedir, study),
                     "data": provenance.data_checksum(Path(p.results) / study / "raw"),
                     # what the study's conversion left out, said on every row of it
                     "caveats": claims.coverage_caveats(
                         Path(p.results) / study / c for c in p.coverage.get(study, []))}
            # trained files from a results archive (make restore): said on every row, and what
            # the archived run's code, data or settings differ in is a caveat
            note, caveat = provenance.restored_note(
                Path(p.results) / study, {**stamp, "settings": provenance.settings_digest(
                    p.configuration[study])}, commit)
            if note:
                rule.log.info("%s: %s", study, note)
                made = [{**row, "configuration": f"{row['configuration']}; {note}"}
                        for row in made]
            if caveat:
                stamp["caveats"] = "; ".join(c for c in (stamp["caveats"], caveat) if c)
            if stamp["caveats"]:
                rule.log.warning("%s: every claim carries the caveat: %s", study, stamp["caveats"])
            rows += [{**row, **stamp} for row in made]
    table = pd.DataFrame(rows, columns=claims.COLUMNS)
    with atomic_path(snakemake.output.csv) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(snakemake.output.summary) as tmp:
        # the front page reads every cell as reST: escaped so that none becomes markup
        claims.summary_table(table).to_csv(tmp, index=False)
    with atomic_path(snakemake.output.md) as tmp:
        tmp.write_text(claims.to_markdown(table))
    rule.log.info("%s", table.verdict.str.partition(":")[0].value_counts().to_dict())


rule.run(snakemake, main)  # noqa: F821
