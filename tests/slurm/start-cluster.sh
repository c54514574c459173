#!/usr/bin/env bash
# Start a real one-node SLURM cluster on this machine, for tests/test_slurm.py (and by hand).
#
#   tests/slurm/start-cluster.sh     # prints the partition name on stdout, progress on stderr
#   tests/slurm/stop-cluster.sh
#
# Idempotent: installs slurm-wlm and munge with apt-get when a piece is missing (root only); writes
# /etc/slurm/slurm.conf and /etc/slurm/gres.conf for one node (this host, its CPUs and memory as
# `slurmd -C` reports them) in one partition; starts munged, slurmctld and slurmd unless they
# already run with this configuration; waits for the node to be idle; and checks that a one-GPU job
# (`sbatch --gpus=1`, what snakemake-executor-plugin-slurm sends for `resources: gpu=1`) runs.
#
# Why /etc/slurm: the jobstep plugin runs every job's command with a nested `srun` and strips all
# SLURM_* variables (SLURM_CONF included) from its environment, so the configuration has to be
# where srun looks by default. An /etc/slurm/slurm.conf that this script did not write is left
# alone: the script stops with exit status 3 instead.
#
# The GPU is a stand-in: Slurm 22.05 drops a GPU without a File= ("Removing file-less GPU"), which
# leaves the node INVAL, so gres.conf names a character device like /dev/null as the GPU's file.
# No accounting: `sacct` answers "Slurm accounting storage is disabled", so job status has to come
# from squeue (slurmctld keeps finished jobs for MinJobAge seconds): run Snakemake with
# `--slurm-status-command squeue`.
#
# Environment: AUDIOREPRO_SLURM_DIR (state, spool, logs; /var/lib/audiorepro-slurm),
# AUDIOREPRO_SLURM_PARTITION (debug), AUDIOREPRO_SLURM_CTLD_PORT / _SLURMD_PORT (16817 / 16818,
# off the standard ports so as not to collide with a real slurmd).
# Exit status: 0 up; 3 cannot be installed or started here (not root, no apt-get, a foreign
# slurm.conf); 1 anything else.
set -euo pipefail

DIR=${AUDIOREPRO_SLURM_DIR:-/var/lib/audiorepro-slurm}
PARTITION=${AUDIOREPRO_SLURM_PARTITION:-debug}
CTLD_PORT=${AUDIOREPRO_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${AUDIOREPRO_SLURM_SLURMD_PORT:-16818}
ETC=/etc/slurm
CONF=$ETC/slurm.conf
MARK="# Written by tests/slurm/start-cluster.sh (audiorepro): a one-node test cluster."
unset SLURM_CONF

log() { echo "start-cluster: $*" >&2; }
die() {
    log "ERROR: $1"
    for f in "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
        if [[ -r $f && -s $f ]]; then log "--- last lines of $f:"; tail -n 15 "$f" >&2 || true; fi
    done
    exit "${2:-1}"
}
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
is_root() { [[ $(id -u) == 0 ]]; }

# --- 1. packages ---------------------------------------------------------------------------------
export PATH=$PATH:/usr/sbin:/sbin
missing=()
for tool in sbatch srun squeue sinfo scontrol slurmctld slurmd munged munge unmunge; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    is_root || die "missing ${missing[*]} and not root: cannot install slurm-wlm munge" 3
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them" 3
    log "installing slurm-wlm munge with apt-get (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=${TMPDIR:-/tmp}/audiorepro-slurm-apt.log
    apt_install() {
        apt-get install -y -q --no-install-recommends slurm-wlm munge >"$apt_log" 2>&1
    }
    if ! apt_install; then
        apt-get update -q >"$apt_log" 2>&1 || true
        apt_install || { tail -n 20 "$apt_log" >&2; die "apt-get install slurm-wlm munge failed"; }
    fi
fi

# --- 2. configuration ----------------------------------------------------------------------------
node=$(hostname -s 2>/dev/null || true)
[[ $node =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] || node=localhost
# CPUs, sockets and memory exactly as slurmd sees them, so that the node registers as valid
hw=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
[[ $hw == *CPUs=*RealMemory=* ]] || die "slurmd -C gave no hardware line: $hw"
GPU_DEV=$DIR/dev/gpu0

config=$(cat <<EOF
$MARK
ClusterName=audiorepro
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# finished jobs stay visible to squeue this long: the executor plugin's status source here
MinJobAge=600
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
GresTypes=gpu
NodeName=$node NodeAddr=127.0.0.1 $hw Gres=gpu:1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
)
gres=$(cat <<EOF
$MARK
# One GPU that jobs can request, with no device behind it (its File is a /dev/null-like node).
AutoDetect=off
NodeName=$node Name=gpu Count=1 File=$GPU_DEV
EOF
)

if [[ -e $CONF ]] && [[ $(head -n 1 "$CONF") != "$MARK" ]]; then
    die "$CONF exists and was not written by this script: a SLURM is already configured here" 3
fi
changed=0
if [[ $(cat "$CONF" 2>/dev/null) != "$config" ]] \
    || [[ $(cat "$ETC/gres.conf" 2>/dev/null) != "$gres" ]]; then
    changed=1
fi
healthy() {
    alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" \
        && [[ $(sinfo -h -n "$node" -o %T 2>/dev/null) =~ ^(idle|mixed|allocated)$ ]]
}

if ((changed == 0)) && healthy; then
    log "already running ($CONF)"
else
    is_root || die "the cluster is not running and starting it needs root" 3
    mkdir -p "$ETC" "$DIR/state" "$DIR/spool" "$DIR/log" "${GPU_DEV%/*}" || die "cannot create $DIR"
    if ((changed)); then
        # a cluster of ours running with another configuration: stop it first
        for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid"; do
            if alive "$pidfile"; then
                pid=$(cat "$pidfile")
                log "stopping ${pidfile##*/} ($pid) to restart with the new configuration"
                kill "$pid" 2>/dev/null || true
                for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            fi
        done
        printf '%s\n' "$config" >"$CONF"
        printf '%s\n' "$gres" >"$ETC/gres.conf"
    fi
    if [[ ! -e $GPU_DEV ]]; then
        # where mknod is not allowed, a plain file: slurmd logs an error but still counts the GPU
        mknod -m 666 "$GPU_DEV" c 1 3 2>/dev/null || touch "$GPU_DEV"
    fi

    # --- 3. munge ----------------------------------------------------------------------------
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        if [[ ! -s /etc/munge/munge.key ]]; then
            mkdir -p /etc/munge
            if command -v mungekey >/dev/null; then mungekey --create --keyfile /etc/munge/munge.key
            else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null; fi
        fi
        mkdir -p /run/munge /var/log/munge /var/lib/munge
        if id munge >/dev/null 2>&1; then
            chown munge:munge /etc/munge /etc/munge/munge.key \
                /run/munge /var/log/munge /var/lib/munge
            chmod 0700 /etc/munge
            chmod 0600 /etc/munge/munge.key
            runuser -u munge -- munged || die "munged did not start (see /var/log/munge/munged.log)"
        else
            munged --force || die "munged did not start (see /var/log/munge/munged.log)"
        fi
        touch "$DIR/munged.ours"  # stop-cluster.sh stops munged only when this script started it
        for _ in $(seq 50); do
            munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.2
        done
        munge -n | unmunge >/dev/null || die "munge does not work: munge -n | unmunge fails"
    fi

    # --- 4. slurmctld and slurmd (both daemonize themselves) ----------------------------------
    if ! alive "$DIR/slurmctld.pid"; then
        slurmctld || die "slurmctld did not start"
    fi
    ctld_up() { [[ $(scontrol ping 2>/dev/null || true) == *UP* ]]; }
    for _ in $(seq 100); do ctld_up && break; sleep 0.2; done
    ctld_up || die "slurmctld does not answer (scontrol ping)"
    if ! alive "$DIR/slurmd.pid"; then
        slurmd -N "$node" || die "slurmd did not start"
    fi
fi

# --- 5. the node idle, then a one-GPU job through the scheduler -----------------------------------
state=""
resumed=0
for _ in $(seq 150); do
    state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [[ $state == idle || $state == mixed || $state == allocated ]] && break
    if ((!resumed)) && [[ $state == drain* || $state == down* ]]; then
        # e.g. left down or drained by an earlier run: bring it back once
        scontrol update nodename="$node" state=resume 2>/dev/null || true
        resumed=1
    fi
    sleep 0.2
done
if ! [[ $state == idle || $state == mixed || $state == allocated ]]; then
    reason=$(scontrol show node "$node" 2>/dev/null | grep -o 'Reason=.*' || true)
    die "node $node is '${state:-absent}', not idle: $reason"
fi

probe=$(mktemp -d "${TMPDIR:-/tmp}/slurm-probe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
jobid=$(cd "$probe" && sbatch --parsable --job-name audiorepro-gpu-probe --partition "$PARTITION" \
        --gpus=1 --cpus-per-task=1 --mem=100 -t 1 --output "$probe/out" \
        --wrap 'srun -n1 echo "gpus=${SLURM_GPUS_ON_NODE:-?} cuda=${CUDA_VISIBLE_DEVICES:-unset}"' \
        2>"$probe/err") || die "sbatch --gpus=1 was refused: $(cat "$probe/err")"
jobid=${jobid%%;*}
jobstate=""
for _ in $(seq 300); do
    jobstate=$(scontrol show job "$jobid" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)
    jobstate=${jobstate#JobState=}
    [[ $jobstate =~ ^(PENDING|CONFIGURING|RUNNING|COMPLETING|)$ ]] || break
    sleep 0.2
done
if [[ $jobstate != COMPLETED ]]; then
    reason=$(scontrol show job "$jobid" 2>/dev/null | grep -o 'Reason=[^ ]*' || true)
    scancel "$jobid" 2>/dev/null || true
    out=$(cat "$probe/out" 2>/dev/null || true)
    die "the one-GPU probe job $jobid (sbatch --gpus=1) ended ${jobstate:-unknown} ($reason): $out"
fi
log "sbatch --gpus=1 ran as job $jobid: $(cat "$probe/out" 2>/dev/null)"

log "up: node $node idle in partition $PARTITION ($CONF)"
echo "$PARTITION"
