"""The cluster path against a real SLURM: `snakemake --profile profiles/slurm` on a one-node cluster

tests/slurm/start-cluster.sh installs slurm-wlm and munge where they are missing (apt-get, root) and
starts slurmctld and slurmd with a stand-in GPU; the workflow then runs its data rules and one
training rule (`resources: gpu=1`) as SLURM jobs through snakemake-executor-plugin-slurm. The test
installs system packages and writes /etc/slurm, so it runs only where asked: with CI or
AUDIOREPRO_SLURM=1 set (CI sets it); then a cluster that cannot come up is a failure, not a skip.
About a minute and a half, most of it the plugin's status-check intervals.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SNAKEMAKE, TINY

pytestmark = pytest.mark.workflow

SLURM = ROOT / "tests" / "slurm"
PROFILE = ROOT / "profiles" / "slurm"
STATE_DIR = os.environ.get("AUDIOREPRO_SLURM_DIR", "/var/lib/audiorepro-slurm")
REQUIRED = bool(os.environ.get("CI")) or os.environ.get("AUDIOREPRO_SLURM") == "1"
TARGET = "results/catsdogs/models/clean/seed1/metrics.json"
if not REQUIRED:
    pytest.skip("starts a throwaway one-node SLURM (apt-get install slurm-wlm munge, /etc/slurm): "
                "set AUDIOREPRO_SLURM=1 to run it", allow_module_level=True)
# rule -> the wildcard folder the plugin files its log under
RULES = {"catsdogs_raw": "", "catsdogs_decode": "",
         "catsdogs_split": "clean", "catsdogs_train": "clean_1"}  # variant, seed


def _ours_running():
    """Whether a cluster started by start-cluster.sh is already up (then it is left running)."""
    for name in ("slurmctld", "slurmd"):
        try:
            os.kill(int(Path(STATE_DIR, f"{name}.pid").read_text()), 0)
        except (OSError, ValueError):
            return False
    return True


def _slurm_env():
    # the cluster's configuration is /etc/slurm/slurm.conf, where the jobs' nested srun looks
    return {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}


@pytest.fixture(scope="module")
def partition():
    was_running = _ours_running()
    proc = subprocess.run(["bash", str(SLURM / "start-cluster.sh")], capture_output=True, text=True,
                          timeout=900, env=_slurm_env())
    if proc.returncode != 0:
        message = (f"the test SLURM cluster did not come up (exit {proc.returncode}):\n"
                   f"{proc.stderr[-4000:]}")
        pytest.fail(message)
    yield proc.stdout.split()[-1]
    if not was_running:
        subprocess.run(["bash", str(SLURM / "stop-cluster.sh")], capture_output=True, timeout=120)


def _scontrol_job(jobid):
    out = subprocess.run(["scontrol", "show", "job", str(jobid)], capture_output=True, text=True,
                         env=_slurm_env()).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out))


def _profile():
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


@pytest.fixture(scope="module")
def cluster_run(partition, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slurm")
    profile = _profile()
    # --default-resources on the command line replaces the profile's whole list, so the profile's
    # own defaults (runtime, mem_mb, cpus_per_task) go along with the partition
    defaults = [f"{k}={v}" for k, v in profile["default-resources"].items() if v is not None]
    cmd = [str(SNAKEMAKE), "--profile", str(PROFILE), "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(TINY),
           "--default-resources", *defaults, f"slurm_partition={partition}",
           # no slurmdbd here: sacct cannot answer, squeue can (the cluster keeps finished jobs
           # for MinJobAge=600 s); first status check after 2 s instead of 40 s
           "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
           "--slurm-keep-successful-logs", TARGET]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=_slurm_env())
    try:
        output, _ = proc.communicate(timeout=480)
    except subprocess.TimeoutExpired:
        proc.terminate()  # Snakemake cancels its SLURM jobs on SIGTERM
        output, _ = proc.communicate(timeout=60)
        pytest.fail(f"snakemake through SLURM took over 8 minutes:\n{output[-6000:]}")
    assert proc.returncode == 0, f"snakemake --profile profiles/slurm failed:\n{output[-8000:]}"
    return workdir, output


def test_the_profile_builds_a_data_and_a_training_target_on_slurm(cluster_run):
    workdir, _ = cluster_run
    metrics = json.loads((workdir / TARGET).read_text())
    assert metrics["protocol"] == "clean"
    assert metrics["parameters"] == {"total": 4151, "trainable": 3951, "non_trainable": 200}
    assert (workdir / "results/catsdogs/audio/samples.npy").stat().st_size > 0
    assert (workdir / "results/catsdogs/splits/clean.csv").stat().st_size > 0


def test_every_job_ran_as_a_slurm_job_with_its_resources(cluster_run, partition):
    workdir, output = cluster_run
    profile = _profile()
    resources = profile["default-resources"]
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.", output)
    jobs = {}
    for jobid, log in submitted:
        rule = re.search(r"slurm_logs/rule_(\w+)/", log).group(1)
        jobs[rule] = (jobid, log)
    assert set(jobs) == set(RULES), output[-4000:]
    for rule, (jobid, log) in jobs.items():
        # the plugin's log of the job: the jobstep Snakemake ran the rule inside the allocation
        expected = workdir / ".snakemake/slurm_logs" / f"rule_{rule}" / RULES[rule] / f"{jobid}.log"
        assert str(expected) == log
        text = expected.read_text()
        assert f"rule {rule}:" in text and "1 of 1 steps (100%) done" in text, text[-3000:]
        # and slurmctld's record of it
        info = _scontrol_job(jobid)
        assert info.get("JobState") == "COMPLETED", info
        assert info.get("Partition") == partition
        assert info.get("Comment", "").startswith(f"rule_{rule}")
        assert f"cpu={resources['cpus_per_task']}," in info.get("TRES", "")
    train = _scontrol_job(jobs["catsdogs_train"][0])
    assert train.get("TresPerJob") == "gres:gpu:1"  # resources: gpu=1 became --gpus=1
    # the profile's set-resources for catsdogs_train reached sbatch
    trained = {**resources, **profile["set-resources"]["catsdogs_train"]}
    assert f"mem={trained['mem_mb']}M" in train.get("TRES", "")
    hours, minutes = divmod(int(trained["runtime"]), 60)
    assert train.get("TimeLimit") == f"{hours:02d}:{minutes:02d}:00"
    raw = _scontrol_job(jobs["catsdogs_raw"][0])
    assert "TresPerJob" not in raw or raw["TresPerJob"] in ("", "(null)")
