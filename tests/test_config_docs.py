"""config/README.md is generated from the schema (audiorepro.config_docs); no Snakemake here."""

import re
import shutil
from collections import Counter

import pytest
import yaml

from audiorepro.config_docs import DocsError, Items, fmt, render
from conftest import ROOT

CONFIG = ROOT / "config"
# what a schema node may hold: JSON Schema keywords and x- annotations; anything else is a slip,
# such as a description with a comma left unquoted in a flow mapping (`{description: a, b}` is a
# description "a" and a key "b")
KEYWORDS = {"$schema", "$defs", "$ref", "description", "type", "additionalProperties", "required",
            "properties", "items", "enum", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "pattern", "anyOf",
            "minProperties"}


def read(path):
    return yaml.safe_load(path.read_text())


def study_files(root=ROOT):
    return sorted((root / "config" / "schema").glob("*.yaml"))


def copied_config(tmp_path):
    shutil.copytree(CONFIG, tmp_path / "config")
    return tmp_path


def edit_yaml(path, change):
    data = read(path)
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def schema_keys(node, defs, prefix=""):
    """Every key under ``node`` as the README names it (``synthetic.n_cats``, ``grid[].dataset``),
    read from the schema files themselves (``$ref`` into ``$defs`` followed)."""
    def resolved(n):
        return {**defs[n["$ref"].split("/")[-1]], **n} if "$ref" in n else n

    for name, child in resolved(node).get("properties", {}).items():
        child = resolved(child)
        yield prefix + name
        yield from schema_keys(child, defs, prefix + name + ".")
        if isinstance(child.get("items"), dict):
            yield from schema_keys(child["items"], defs, prefix + name + "[].")


def expected_keys():
    """{README section: keys}: the shared keys, the keys of a source (documented once, with a row
    per study in the sources table, named ``<study>.source``), and each study's other keys."""
    shared = read(CONFIG / "schema.yaml")
    defs = shared["$defs"]
    studies = {path.stem: read(path) for path in study_files()}
    sections = {"Top level": list(schema_keys(shared, defs)),
                "Data sources": list(schema_keys(defs["source"], defs))
                + [f"{study}.source" for study in studies]}
    for study, section in studies.items():
        sections[study] = [key for key in schema_keys(section, defs)
                           if key != "source" and not key.startswith("source.")]
    return sections


def readme_rows(text):
    """{section heading: Counter of the keys its rows name}. A key cell names its first key in
    full and any further ones as its siblings; a row of the sources table (first cell a study's
    name) names ``<study>.source``."""
    sections, section = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            section = sections.setdefault(line[3:].split(" (")[0], Counter())
        elif section is not None and line.startswith("| ") and not line.startswith("| ---"):
            first = line[2:].split(" | ")[0]
            names = re.findall(r"`([^`]+)`", first)
            if names:
                parent = names[0].rsplit(".", 1)[0] + "." if "." in names[0] else ""
                section.update([names[0]] + [parent + name for name in names[1:]])
            elif first not in ("key", "study"):
                section[f"{first}.source"] += 1
    return sections


def test_the_committed_readme_is_the_rendered_one():
    assert (CONFIG / "README.md").read_text() == render(ROOT), (
        "config/README.md is not what the schema and the configurations make: run "
        "`make config-docs` and commit config/README.md")


def test_every_schema_key_has_exactly_one_row():
    expected, rows = expected_keys(), readme_rows(render(ROOT))
    assert list(rows) == ["Top level", "Data sources", "catsdogs", "whales", "continuation",
                          "sorting", "orcas"]
    for section, keys in expected.items():
        assert rows[section] == Counter(keys), section
    assert "grid[].dataset" in rows["sorting"] and "urls[].sha256" in rows["Data sources"]


@pytest.mark.parametrize("path, node, name", [
    ("schema/sorting.yaml", ["properties", "training", "properties", "epochs"],
     "sorting.training.epochs"),
    ("schema/sorting.yaml", ["properties", "grid", "items", "properties", "encoding"],
     "sorting.grid[].encoding"),
    ("schema/whales.yaml", ["properties", "source"], "whales.source"),
    ("schema.yaml", ["$defs", "source", "properties", "urls", "items", "properties", "sha256"],
     "source.urls[].sha256"),
    ("schema.yaml", ["properties", "gpu"], "gpu"),
])
def test_a_key_without_a_description_stops_the_rendering_naming_it(tmp_path, path, node, name):
    root = copied_config(tmp_path)

    def drop(schema):
        for part in node:
            schema = schema[part]
        del schema["description"]

    edit_yaml(root / "config" / path, drop)
    with pytest.raises(DocsError, match=rf"config key {re.escape(name)} has no description"):
        render(root)


def test_a_changed_description_or_value_changes_its_row(tmp_path):
    root = copied_config(tmp_path)
    before = render(root)
    row = "| `training.epochs` | training epochs | 15 | same |"
    assert row in before.split("## catsdogs")[1].split("## ")[0]

    def describe(schema):
        schema["properties"]["training"]["properties"]["epochs"]["description"] = "passes | runs"

    edit_yaml(root / "config" / "schema" / "catsdogs.yaml", describe)
    edit_yaml(root / "config" / "config.yaml",
              lambda config: config["catsdogs"]["training"].update(epochs=3))
    after = render(root)
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [(row, "| `training.epochs` | passes \\| runs | 3 | 15 |")]


def test_x_paper_same_must_agree_with_paper_yaml(tmp_path):
    root = copied_config(tmp_path)
    edit_yaml(root / "config" / "paper.yaml",
              lambda paper: paper["orcas"].update(model={"units": 600}))
    with pytest.raises(DocsError, match="config key orcas.model.units is marked x-paper: same"):
        render(root)


def test_values_are_written_readably():
    assert [fmt(v) for v in ([0.01, 0.1, 1.0], {"alexnet": 32, "googlenet": [1, 2]}, True,
                             None, 18.0, 0.0005, [], Items([["music"], ["noise", "tone"]]))] == [
        "0.01, 0.1, 1", "alexnet: 32, googlenet: [1, 2]", "true", "null", "18", "0.0005", "[]",
        "music; noise, tone"]


def test_schema_files_hold_only_keywords_and_annotations():
    """A description with an unquoted comma in a flow mapping turns its tail into a key."""
    def strays(node, path=()):
        if isinstance(node, list):
            return [s for i, item in enumerate(node) for s in strays(item, path + (i,))]
        if not isinstance(node, dict):
            return []
        out = []
        for key, value in node.items():
            if key in ("properties", "$defs"):
                out += [s for name, child in value.items()
                        for s in strays(child, path + (key, name))]
            elif not (key in KEYWORDS or key.startswith("x-")):
                out.append(".".join(map(str, path + (key,))))
            elif not key.startswith("x-"):
                out += strays(value, path + (key,))
        return out

    found = {path.name: strays(read(path))
             for path in [CONFIG / "schema.yaml"] + study_files()}
    assert found == {name: [] for name in found}
