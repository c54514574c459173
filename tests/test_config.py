"""The configuration, the environment pins and the workflow's plans (no jobs run here)."""

import copy
import re
import subprocess

import pytest
import yaml

from audiorepro.config import ConfigError, validate_config
from conftest import ROOT, SNAKEMAKE, run_snakemake

SCHEMA = ROOT / "config" / "schema.yaml"


def load(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def merged(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def test_default_paper_and_tiny_configurations_are_valid():
    default = load("config.yaml")
    validate_config(default, SCHEMA)
    validate_config(merged(default, load("paper.yaml")), SCHEMA)
    validate_config(merged(default, yaml.safe_load((ROOT / "tests/config/tiny.yaml").read_text())), SCHEMA)


def test_unknown_key_and_wrong_type_are_named():
    config = load("config.yaml")
    config["catsdogs"]["training"]["epochz"] = 3
    config["catsdogs"]["training"]["epochs"] = "15"
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    message = str(err.value)
    assert "config key catsdogs.training.epochz: unknown key" in message
    assert "config key catsdogs.training.epochs: '15' is of type str, expected integer" in message


def test_bad_config_stops_the_workflow_with_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("catsdogs:\n  source:\n    kind: ftp\n")
    proc = run_snakemake(tmp_path, "-n", configfiles=[bad], check=False)
    assert proc.returncode != 0
    assert "config key catsdogs.source.kind: 'ftp' is not one of" in proc.stdout + proc.stderr


def test_paper_configuration_and_slurm_profile_plan(tmp_path):
    paper = run_snakemake(tmp_path, "-n", configfiles=[ROOT / "config" / "paper.yaml"])
    assert re.search(r"catsdogs_train\s+2", paper.stdout)
    slurm = run_snakemake(tmp_path, "-n", "--profile", str(ROOT / "profiles" / "slurm"), configfiles=())
    assert re.search(r"catsdogs_figures\s+2", slurm.stdout)


def test_lint_is_clean_and_rules_are_snakefmt_formatted(tmp_path):
    lint = run_snakemake(tmp_path, "--lint", configfiles=())
    assert "Congratulations" in lint.stdout + lint.stderr
    fmt = subprocess.run([str(SNAKEMAKE.parent / "snakefmt"), "--check", "Snakefile", "rules"],
                         cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stderr


def _pins(path):
    return {l.strip() for l in path.read_text().splitlines() if "==" in l and not l.startswith("#")}


def _env_pins(path):
    env = yaml.safe_load(path.read_text())
    return set(next(d["pip"] for d in env["dependencies"] if isinstance(d, dict)))


def test_conda_environments_are_the_lock_without_development_tools():
    import importlib.metadata as md

    from packaging.requirements import Requirement

    def closure(names):
        seen, todo = set(), [n.lower().replace("_", "-") for n in names]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for r in md.distribution(name).requires or []:
                req = Requirement(r)
                if not req.marker or req.marker.evaluate({"extra": ""}):
                    todo.append(req.name.lower().replace("_", "-"))
        return seen

    lines = (ROOT / "requirements.in").read_text().split("# development only")
    runtime, dev = (_pins_of(text) for text in lines)
    lock = _pins(ROOT / "requirements.txt")
    needed = closure(runtime)
    expected = {p for p in lock if p.split("==")[0].lower().replace("_", "-") in needed}
    version = re.search(r"TF_VERSION := (\S+)", (ROOT / "Makefile").read_text()).group(1)
    cpu, cuda = _env_pins(ROOT / "envs" / "runtime.yaml"), _env_pins(ROOT / "envs" / "runtime-cuda.yaml")
    assert cpu == expected | {f"tensorflow-cpu=={version}"}
    assert cuda == expected | {f"tensorflow[and-cuda]=={version}"}
    assert not any(p.startswith(("pytest==", "snakefmt==", "black==")) for p in cpu | cuda)
    assert set(dev) <= {p.split("==")[0] for p in lock}


def _pins_of(text):
    return [l.split("==")[0] for l in text.splitlines() if "==" in l and not l.startswith("#")]
