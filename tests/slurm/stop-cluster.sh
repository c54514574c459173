#!/usr/bin/env bash
# Stop the one-node test cluster that tests/slurm/start-cluster.sh started: slurmd, slurmctld, and
# munged when that script started it. Its configuration and state stay in $AUDIOREPRO_SLURM_DIR
# (default /var/lib/audiorepro-slurm); a later start-cluster.sh reuses them. Safe to run twice.
set -euo pipefail

DIR=${AUDIOREPRO_SLURM_DIR:-/var/lib/audiorepro-slurm}
export PATH=$PATH:/usr/sbin:/sbin

stop_pidfile() {  # stop_pidfile NAME PIDFILE
    local pid
    [[ -s $2 ]] || return 0
    pid=$(cat "$2")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop-cluster: $1 ($pid) still running after 10 s, killing it" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
        echo "stop-cluster: stopped $1 ($pid)" >&2
    fi
    rm -f "$2"
}

stop_pidfile slurmd "$DIR/slurmd.pid"
stop_pidfile slurmctld "$DIR/slurmctld.pid"
if [[ -e $DIR/munged.ours ]]; then
    stop_pidfile munged /run/munge/munged.pid
    rm -f "$DIR/munged.ours"
fi
