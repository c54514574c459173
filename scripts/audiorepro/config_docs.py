"""config/README.md, generated from the schema: `python -m audiorepro.config_docs` (with
PYTHONPATH=scripts; `make config-docs`) writes it. The introduction is the schema's ``x-readme``;
each key's meaning is its ``description`` (a key without one stops the rendering, naming it), its
default the value in config/config.yaml and its paper value the one config/paper.yaml gives on top
of the default. A study's ``x-source`` gives its row of the sources table, an ``x-readme`` of a
study (or of ``$defs.source``) is printed after its section's table, ``x-paper: same`` marks a
key whose default the originals used too although paper.yaml does not repeat it, and
``x-one-row: true`` on a list gives the keys of its items one row (``urls[].url``, ``sha256``)."""

import sys
from pathlib import Path

import yaml

from .config import AUDIO_SUFFIXES, DEFAULT_KINDS, load_schema

ROOT = Path(__file__).resolve().parents[2]
README = Path("config") / "README.md"

GENERATED = ("<!-- Generated from config/schema.yaml, config/schema/<study>.yaml, config.yaml and "
             "paper.yaml by scripts/audiorepro/config_docs.py: edit those, then run "
             "`make config-docs`. -->")

# what `source.kind: local` must point at, by the study's x-source `local` (see config.py)
LOCAL_FOLDER = ("a folder with at least one audio file in it or below it ("
                + " ".join(AUDIO_SUFFIXES) + "; any rate and channels)")
LOCAL_FILE_OR_FOLDER = ("one recording (any format ffmpeg reads), or a folder with at least one "
                        "audio file in it or below it")


class DocsError(ValueError):
    """The schema cannot be documented as it is: the message names the key."""


class Items(list):
    """The values of one key in every item of a list (``grid[].dataset``), in the list's order."""


MISSING = object()


def _resolved(node, defs):
    """``node`` with its ``$ref`` (into ``$defs``) filled in; the node's own keys win."""
    if isinstance(node, dict) and "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def schema_keys(node, defs, prefix="", skip=()):
    """(dotted key, resolved node) of every key under ``node``, depth first in the schema's
    order; the keys of the items of a list ``grid`` are ``grid[].<key>``. Top-level names in
    ``skip`` are left out with everything below them."""
    for name, child in (_resolved(node, defs).get("properties") or {}).items():
        if name in skip:
            continue
        child = _resolved(child, defs)
        key = f"{prefix}{name}"
        yield key, child
        yield from schema_keys(child, defs, key + ".")
        items = _resolved(child.get("items"), defs)
        if isinstance(items, dict) and "properties" in items:
            yield from schema_keys(items, defs, key + "[].")


def _text(node, name):
    """The node's description on one line, or DocsError naming the key ``name``."""
    text = node.get("description") if isinstance(node, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise DocsError(f"config key {name} has no description in the schema; every key needs "
                        "one (config/README.md is made from them)")
    return " ".join(text.split())


def _sentence(text):
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", ":")) else ".")


def value_at(config, key):
    """The value of the dotted ``key`` in ``config``: :data:`MISSING` if absent, and for a key
    below ``name[]`` the :class:`Items` of its value in each item of the list ``name``."""
    node = config
    parts = key.split(".")
    for i, part in enumerate(parts):
        if part.endswith("[]"):
            items = node.get(part[:-2], MISSING) if isinstance(node, dict) else MISSING
            if not isinstance(items, list):
                return MISSING
            rest = ".".join(parts[i + 1:])
            return Items(value_at(item, rest) if rest else item for item in items)
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def merged(base, override):
    """``override`` on top of ``base`` as Snakemake merges config files: mappings key by key,
    anything else (lists included) replaced."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(base[key], value) if key in base else value
    return out


def _equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def fmt(value, nested=False):
    """A value for a table cell: lists joined with ", ", mappings as ``key: value``, nested ones
    in brackets, booleans and None as YAML writes them, whole floats without ".0"."""
    if value is MISSING:
        return ""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Items):
        return "; ".join(fmt(item) for item in value)
    if isinstance(value, list):
        text = ", ".join(fmt(item, nested=True) for item in value)
        return f"[{text}]" if nested or not value else text
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {fmt(v, nested=True)}" for k, v in value.items())
        return f"{{{text}}}" if nested or not value else text
    return str(value)


def _cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(cells):
    return "|" + "|".join(f" {_cell(c)} " if str(c).strip() else " " for c in cells) + "|"


def _table(header, rows):
    return [_row(header), "|" + "|".join(" --- " for _ in header) + "|"] + [_row(r) for r in rows]


def _count(items):
    return "" if items is MISSING else f"{len(items)} item{'' if len(items) == 1 else 's'}"


def _values(node, key, configs, name, defs):
    """The default and paper cells of ``key``: a key holding other keys has none, a list of
    mappings gives its length; paper is blank where it keeps the default, `same` where paper.yaml
    sets the default's value or the schema says ``x-paper: same``. ``configs``: the default, the
    paper configuration (paper.yaml on top of the default) and paper.yaml alone."""
    if "properties" in node:
        return "", ""
    default, paper, paper_only = configs
    here, there = value_at(default, key), value_at(paper, key)
    items = _resolved(node.get("items"), defs)
    show = _count if isinstance(items, dict) and "properties" in items else fmt
    if not _equal(here, there):
        if node.get("x-paper") == "same":
            raise DocsError(f"config key {name} is marked x-paper: same in the schema, but "
                            f"config/paper.yaml gives {fmt(there)!r} (the default: {fmt(here)!r})")
        return show(here), show(there)
    same = node.get("x-paper") == "same" or value_at(paper_only, key) is not MISSING
    return show(here), "same" if same else ""


def _key_table(section, node, defs, configs=None, skip=()):
    """The table of every key under ``node``; without ``configs`` (see _values) it has no
    default and paper columns."""
    rows, grouped = [], ()
    for key, child in schema_keys(node, defs, skip=skip):
        if key.startswith(grouped):
            continue
        name = f"{section}.{key}" if section else key
        rows.append([f"`{key}`", _text(child, name)]
                    + (list(_values(child, key, configs, name, defs)) if configs else []))
        if child.get("x-one-row"):  # the keys of its items: one row, the first named in full
            grouped += (f"{key}[].",)
            below = [(k[len(key) + 3:], c) for k, c in schema_keys(child["items"], defs,
                                                                    prefix=f"{key}[].")]
            rows.append([", ".join(f"`{key}[].{k}`" if i == 0 else f"`{k}`"
                                   for i, (k, _) in enumerate(below)),
                         "; ".join(f"`{k}`: {_text(c, f'{name}[].{k}')}" for k, c in below)]
                        + ([fmt(value_at(v, f"{key}[]")) for v in configs[:2]]
                           if configs else []))
    header = ["key", "meaning"] + (["default", "paper"] if configs else [])
    return _table(header, rows)


def _source_cell(source):
    if not isinstance(source, dict):
        return fmt(source)
    kind = source.get("kind", "")
    detail = {"kaggle": source.get("kaggle"), "local": source.get("local_path")}.get(kind)
    if kind == "url":
        return f"url ({len(source.get('urls') or [])} files)"
    return f"{kind} `{detail}`" if detail else str(kind)


def _local_need(need):
    if isinstance(need, list):
        names = [f"`{n}`" for n in need]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"a folder holding {listed}, in it or in a folder below it"
    return LOCAL_FILE_OR_FOLDER if need == "file or folder" else LOCAL_FOLDER


def _sources_table(schema, studies, default, paper):
    rows = []
    for study in studies:
        section = schema["properties"][study]
        spec = section.get("x-source") or {}
        here = value_at(default, f"{study}.source")
        there = value_at(paper, f"{study}.source")
        rows.append([study, _text(section["properties"].get("source"), f"{study}.source"),
                     ", ".join(spec.get("kinds", DEFAULT_KINDS)), _local_need(spec.get("local")),
                     _source_cell(here), "" if _equal(here, there) else _source_cell(there)])
    return _table(["study", "meaning", "kinds", "`local_path` must be", "default", "paper"], rows)


def _read(path):
    return yaml.safe_load(Path(path).read_text()) or {}


def render(root=ROOT):
    """The whole of config/README.md for the repository at ``root``."""
    root = Path(root)
    schema = load_schema(root / "config" / "schema.yaml")
    default = _read(root / "config" / "config.yaml")
    paper_only = _read(root / "config" / "paper.yaml")
    paper = merged(default, paper_only)
    defs = schema.get("$defs", {})
    names = schema["properties"]["studies"]["items"]["enum"]
    order = [s for s in default.get("studies", []) if s in names]
    studies = order + [s for s in names if s not in order]

    intro = schema.get("x-readme")
    if not isinstance(intro, str) or not intro.strip():
        raise DocsError("config/schema.yaml has no x-readme, the introduction of the README")
    lines = [GENERATED, "", "# Configuration", "", intro.strip(), "", "## Top level"]
    lines += _key_table("", schema, defs, (default, paper, paper_only), skip=set(names))

    source = defs["source"]
    lines += ["", "## Data sources (`<study>.source`)", _sentence(_text(source, "source")), ""]
    lines += _key_table("source", source, defs)
    if source.get("x-readme"):
        lines += ["", source["x-readme"].strip()]
    lines += [""] + _sources_table(schema, studies, default, paper)

    for study in studies:
        section = schema["properties"][study]
        lines += ["", f"## {study}", _sentence(_text(section, study)), ""]
        configs = tuple(config.get(study) or {} for config in (default, paper, paper_only))
        lines += _key_table(study, section, defs, configs, skip={"source"})
        if section.get("x-readme"):
            lines += ["", section["x-readme"].strip()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    """Write config/README.md under the repository root (the first argument, else this one)."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else ROOT
    (root / README).write_text(render(root))
    print(f"wrote {README}")


if __name__ == "__main__":
    main()
