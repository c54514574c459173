"""Snakemake's own scheduler on this machine: the workflow's ``onstart`` handler turns off the
job-submission rate limit of a local run, whose re-evaluation timers otherwise pile up, one more
for every finished job (audiorepro.scheduling.without_rate_limit)."""

import os
import subprocess
import textwrap
from types import SimpleNamespace

import pytest

from conftest import ROOT, SNAKEMAKE

from audiorepro.scheduling import without_rate_limit

JOBS = 30


def fake_workflow(local):
    return SimpleNamespace(local_exec=local,
                           scheduler=SimpleNamespace(job_rate_limiter=object()))


def test_a_local_run_loses_its_rate_limiter_and_a_cluster_run_keeps_it():
    local, cluster = fake_workflow(True), fake_workflow(False)
    assert without_rate_limit(local) is True
    assert local.scheduler.job_rate_limiter is None
    assert without_rate_limit(cluster) is False
    assert cluster.scheduler.job_rate_limiter is not None
    # another Snakemake: no scheduler yet, or no limiter to turn off
    assert without_rate_limit(SimpleNamespace(local_exec=True)) is False
    assert without_rate_limit(SimpleNamespace(local_exec=True,
                                              scheduler=SimpleNamespace())) is False


def test_the_snakefile_registers_the_handler():
    text = (ROOT / "Snakefile").read_text()
    handler = text.split("onstart:", 1)[1].split("\n\n", 1)[0]
    assert "without_rate_limit(workflow)" in handler


def threads_seen(tmp_path, hook):
    """Run JOBS short shell jobs on 2 cores, each recording how many threads Snakemake's own
    process (the job shell's parent) has at that moment; return the largest count."""
    work = tmp_path / ("hook" if hook else "plain")
    work.mkdir()
    handler = textwrap.dedent("""
        import sys
        sys.path.insert(0, {scripts!r})
        from audiorepro.scheduling import without_rate_limit

        onstart:
            without_rate_limit(workflow)
    """).format(scripts=str(ROOT / "scripts")) if hook else ""
    (work / "Snakefile").write_text(handler + textwrap.dedent(f"""
        rule all:
            input: expand("out/{{i}}.txt", i=range({JOBS}))

        rule one:
            output: "out/{{i}}.txt"
            shell: "sleep 0.3; ls /proc/$PPID/task | wc -l > {{output}}"
    """))
    proc = subprocess.run([str(SNAKEMAKE), "--cores", "2", "-q"], cwd=work, capture_output=True,
                          text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return max(int((work / "out" / f"{i}.txt").read_text()) for i in range(JOBS))


@pytest.mark.workflow
def test_snakemakes_timers_no_longer_pile_up_with_the_handler(tmp_path):
    # without it, this Snakemake holds about one timer thread per finished job: the handler
    # exists for that, and the control says so when a Snakemake release fixes it
    assert threads_seen(tmp_path, hook=False) >= JOBS // 2, \
        "Snakemake no longer piles up timers: without_rate_limit may go"
    assert threads_seen(tmp_path, hook=True) <= 6
