"""Which package source files an entry point (or a notebook) runs, read from its import
statements, so that each rule can declare them as inputs and a code change reruns exactly what
depends on it.

Snakemake watches a rule's own script, not the modules that script imports: without this, an
edit of a study's ``model.py`` would leave its trained weights and figures looking current.
The list is computed from the ``import`` statements (followed through the package, relative
imports included), never kept by hand. Imports inside functions count too: whatever a file can
import is part of what it depends on.
"""

import ast
import json
from pathlib import Path

PACKAGE = "audiorepro"


def _code_of(path):
    path = Path(path)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        # papermill's magics do not appear in these notebooks; plain Python cells only
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return path.read_text()


def _module_file(name, root):
    """The file of module ``name`` (dotted) under ``root``, or None if it is not in the tree."""
    base = Path(root, *name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path, root):
    rel = Path(path).relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path, root):
    """Dotted names of the package modules ``path`` imports directly (``from .x import y`` and
    ``from audiorepro.s import m`` resolved to modules when ``m`` is a submodule)."""
    path, root = Path(path), Path(root)
    tree = ast.parse(_code_of(path), filename=str(path))
    inside = path.is_relative_to(root / PACKAGE) and path.suffix == ".py"
    here = _module_name(path, root) if inside else ""
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
            names = [[] for _ in bases]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            bases, names = [base], [[alias.name for alias in node.names]]
        else:
            continue
        for base, members in zip(bases, names):
            if base != PACKAGE and not base.startswith(PACKAGE + "."):
                continue
            parts = base.split(".")
            # every package on the way is imported too (its __init__ runs)
            for i in range(1, len(parts) + 1):
                found.add(".".join(parts[:i]))
            for member in members:
                if _module_file(f"{base}.{member}", root):
                    found.add(f"{base}.{member}")
    return {m for m in found if _module_file(m, root)}


def entry_point_sources(script, root):
    """Every package source file ``script`` (an entry point or notebook) can run, sorted: its
    direct imports and theirs, transitively. ``root`` is the folder holding ``audiorepro/``."""
    root = Path(root)
    seen, todo = set(), list(imported_modules(script, root))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(imported_modules(_module_file(name, root), root) - seen)
    return sorted(str(_module_file(name, root)) for name in seen)
