"""The study contract (docs/adding-a-study.md): every study package exports the same names, its
notebook draws through its FIGURES, and every entry point is thin."""

import ast
import importlib
import inspect
import io
import json
import re
import tokenize
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from audiorepro import claims, plots

from conftest import ROOT

PACKAGE = ROOT / "scripts" / "audiorepro"
STUDIES = sorted(p.parent.name for p in PACKAGE.glob("*/claims.yaml"))
# name -> (module, the parameters it must take first)
CONTRACT = {
    "synth.generate": [],
    "model.build": ["model_cfg", "training_cfg"],
    "evaluate.metrics": [],
    "train.run": ["job"],
}
FIGURE_SUFFIXES = (".png", ".txt", ".mp3", ".wav", ".csv")
MAX_ENTRY_POINT_LINES = 15
TOOLS = ("bench_models.py", "bench_spectrogram.py")  # `make bench`, not rule entry points


def test_there_are_five_studies():
    assert STUDIES == ["catsdogs", "continuation", "orcas", "sorting", "whales"]


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_study_exports_the_contract(study, name):
    module_name, function_name = name.split(".")
    module = importlib.import_module(f"audiorepro.{study}.{module_name}")
    function = getattr(module, function_name, None)
    assert callable(function), f"audiorepro.{study}.{name} is missing"
    parameters = list(inspect.signature(function).parameters)
    first = CONTRACT[name]
    assert parameters[:len(first)] == first, f"audiorepro.{study}.{name}{parameters}"


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_names_its_figures_once_and_its_notebook_draws_them(study):
    figures = importlib.import_module(f"audiorepro.{study}.figures").FIGURES
    assert isinstance(figures, dict) and figures
    for name, function in figures.items():
        assert name.endswith(FIGURE_SUFFIXES) and "/" not in name, name
        assert callable(function), name
    notebook = json.loads((ROOT / "reports" / f"{study}.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert "plots.Drawer(figures.FIGURES" in code
    last = code.rstrip().splitlines()[-1].split("#")[0].strip()
    assert last == "draw.check()", "the notebook's last line checks the figures"
    for written_by_hand in ("plots.save(", "savefig(", "write_text("):
        assert written_by_hand not in code, f"{study}.ipynb writes a figure by hand"


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_has_claims_with_ids_of_its_own(study):
    listed = claims.load_claims(PACKAGE / study / "claims.yaml")
    ids = [c["id"] for c in listed]
    assert len(ids) == len(set(ids)) and ids
    assert {i[0] for i in ids} == {study[0].upper() if study != "continuation" else "N"}


def code_lines(path):
    """Lines of ``path`` that hold code: not blank, not a comment, not a docstring."""
    source = Path(path).read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENDMARKER}
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in docstrings)
    return len(lines)


def test_code_lines_count_code_only(tmp_path):
    path = tmp_path / "entry.py"
    path.write_text('"""Doc\nstring."""\n\n# a comment\nimport os  # why\n\n\ndef f(x):\n'
                    '    """Doc."""\n    return (x +\n            1)\n')
    assert code_lines(path) == 4


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "scripts").glob("*.py")
                                          if p.name not in TOOLS))
def test_every_entry_point_is_thin(script):
    n = code_lines(ROOT / "scripts" / script)
    assert n <= MAX_ENTRY_POINT_LINES, f"scripts/{script}: {n} code lines"


@pytest.mark.parametrize("study", STUDIES)
def test_every_rule_of_a_study_is_a_declared_step_with_its_code(study):
    """rules/<study>.smk holds no rule block of its own (rules/steps.smk makes every rule from
    the steps); each step's entry point or package module exists and has what it runs."""
    from audiorepro.provenance import SHARED, declared_steps

    text = (ROOT / "rules" / f"{study}.smk").read_text()
    assert not re.search(r"^\s*rule\b", text, re.M), f"rules/{study}.smk writes a rule itself"
    steps = declared_steps(ROOT, study)
    assert {"raw_step", "model_step", "figures_step"} <= {kind for kind, _ in steps}
    for kind, name in steps:
        assert name.startswith(f"{study}_"), (kind, name)
        assert (ROOT / SHARED.get(kind, f"scripts/{name}.py")).is_file(), name
        if kind == "model_step":
            stage = name.split("_", 1)[1]
            module = importlib.import_module(f"audiorepro.{study}.{stage}")
            assert callable(getattr(module, "run", None)), f"audiorepro.{study}.{stage}.run"


def test_a_step_declared_without_a_plain_name_is_refused(tmp_path):
    from audiorepro.provenance import declared_steps

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "x.smk").write_text('raw_step("x")\nstep(\n    NAME, {})\n')
    with pytest.raises(ValueError, match=r"rules/x.smk:2: step\( needs the name"):
        declared_steps(tmp_path, "x")
    (tmp_path / "rules" / "x.smk").write_text('raw_step("x")\nsplit_step("x", {}, {})\n'
                                             'model_step(\n    "x_train", "{v}")\n')
    assert declared_steps(tmp_path, "x") == [("raw_step", "x_raw"), ("split_step", "x_split"),
                                             ("model_step", "x_train")]


def test_figure_files_expand_a_placeholder_in_order():
    figures = {"a.png": None, "activ_{k}.png": None, "b.txt": None}
    assert plots.figure_files(figures, k=range(1, 3)) == ["a.png", "activ_1.png",
                                                            "activ_2.png", "b.txt"]
    with pytest.raises(ValueError, match="activ_"):
        plots.figure_files(figures)


def test_the_drawer_writes_by_name_and_names_what_was_not_drawn(tmp_path):
    def line(values):
        fig, ax = plt.subplots()
        ax.plot(values)
        return fig

    def sound(path):
        Path(path).write_bytes(b"RIFF")

    figures = {"line.png": line, "summary.txt": lambda: "3 layers", "activ_{k}.png": line,
               "sound.wav": sound}
    draw = plots.Drawer(figures, tmp_path, k=range(1, 3))
    draw("line.png", [1, 2])
    draw("summary.txt")
    draw("activ_2.png", [0, 1])
    draw("sound.wav")
    assert (tmp_path / "line.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "summary.txt").read_text() == "3 layers\n"
    assert (tmp_path / "sound.wav").read_bytes() == b"RIFF"
    with pytest.raises(KeyError, match="other.png"):
        draw("other.png")
    with pytest.raises(RuntimeError, match="activ_1.png") as err:
        draw.check()
    assert "line.png" not in str(err.value)
    draw("activ_1.png", [3])
    assert draw.check()
