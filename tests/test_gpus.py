"""One GPU per training job on a box with several: ``--resources gpu=N`` caps how many GPU jobs
run at once, and each job takes a GPU that no other running job holds (CUDA_VISIBLE_DEVICES),
which Snakemake alone does not do. A stand-in nvidia-smi lists four GPUs."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT, SNAKEMAKE

from audiorepro.scheduling import claim_gpus, gpu_indices

FOUR_GPUS = "\n".join(f"GPU {i}: NVIDIA H200 (UUID: GPU-{i}{i}{i})" for i in range(4))


@pytest.fixture
def nvidia_smi(tmp_path, monkeypatch):
    """A stand-in nvidia-smi on PATH listing four GPUs; a slot folder of the test's own."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "nvidia-smi"
    exe.write_text(f"#!/bin/sh\ncat <<'END'\n{FOUR_GPUS}\nEND\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AUDIOREPRO_GPU_SLOTS", str(tmp_path / "slots"))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return exe


def test_the_listing_is_read_from_nvidia_smi(nvidia_smi):
    assert gpu_indices() == ["0", "1", "2", "3"]


def test_a_job_takes_a_gpu_no_other_job_holds_and_a_scheduler_setting_wins(nvidia_smi):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, 'scripts');"
         "from audiorepro.scheduling import claim_gpus; print(claim_gpus(2), flush=True);"
         "time.sleep(30)"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "0,1"
        environ = {"AUDIOREPRO_GPU_SLOTS": os.environ["AUDIOREPRO_GPU_SLOTS"]}
        assert claim_gpus(1, environ=environ) == "2"
        assert environ["CUDA_VISIBLE_DEVICES"] == "2"
        # SLURM (or any scheduler) set the job's devices: left as they are
        slurm = {"CUDA_VISIBLE_DEVICES": "7", "AUDIOREPRO_GPU_SLOTS": environ[
            "AUDIOREPRO_GPU_SLOTS"]}
        assert claim_gpus(1, environ=slurm) is None and slurm["CUDA_VISIBLE_DEVICES"] == "7"
        assert claim_gpus(1, environ={"SLURM_JOB_ID": "12"}) is None
        assert claim_gpus(0, environ={}) is None
    finally:
        holder.kill()
        holder.wait()
    # killed, its GPUs are free again (the kernel drops the locks with the process)
    assert claim_gpus(2, environ={"AUDIOREPRO_GPU_SLOTS": os.environ["AUDIOREPRO_GPU_SLOTS"]}) \
        in ("0,1", "3,0")


def test_more_gpus_than_listed_is_one_clear_error(nvidia_smi):
    with pytest.raises(ValueError, match="asks for 5 GPUs; nvidia-smi lists 4"):
        claim_gpus(5, environ={"AUDIOREPRO_GPU_SLOTS": os.environ["AUDIOREPRO_GPU_SLOTS"]})


JOB = """
import json, os, sys, time
sys.path.insert(0, {scripts!r})
from audiorepro.rule import hold_gpus
hold_gpus(snakemake)
start = time.time()
time.sleep(1.5)
with open(snakemake.output[0], "w") as out:
    json.dump({{"device": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": start,
               "end": time.time()}}, out)
"""


@pytest.mark.workflow
@pytest.mark.parametrize("allowed", [4, 6])
def test_concurrent_gpu_jobs_never_share_a_device(nvidia_smi, tmp_path, allowed):
    (tmp_path / "job.py").write_text(JOB.format(scripts=str(ROOT / "scripts")))
    (tmp_path / "Snakefile").write_text(textwrap.dedent("""
        rule all:
            input: expand("out/{i}.json", i=range(12))
        rule job:
            output: "out/{i}.json"
            log: "logs/{i}.log"
            resources: gpu=1
            script: "job.py"
        """))
    proc = subprocess.run([str(SNAKEMAKE), "--cores", "8", "--resources", f"gpu={allowed}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = [json.loads((tmp_path / "out" / f"{i}.json").read_text()) for i in range(12)]
    assert {job["device"] for job in jobs} == {"0", "1", "2", "3"}
    for a in jobs:
        overlapping = [b for b in jobs if b is not a and b["start"] < a["end"]
                       and a["start"] < b["end"]]
        assert a["device"] not in {b["device"] for b in overlapping}
        # never more than four at once, even where Snakemake lets six start
        assert sum(b["start"] <= a["start"] < b["end"] for b in jobs) <= 4
    assert "held by no other job" in (tmp_path / "logs" / "0.log").read_text()
