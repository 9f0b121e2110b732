#!/usr/bin/env bash
# dev-cluster.sh — a one-node Slurm cluster and a local PostgreSQL for LandmarkLab's tests.
#
# Run as root on Debian 12 (also in a container without systemd). It installs what is missing
# from Debian's packages (slurm-wlm, munge, postgresql), writes the configuration for this host,
# starts the daemons directly (munged, slurmctld, slurmd, PostgreSQL via pg_ctlcluster) and
# checks them with a real job and a real query. Running it again changes nothing that is up and
# restarts whatever died.
#
#   scripts/dev-cluster.sh [start]            install if missing, start, verify (the default)
#   scripts/dev-cluster.sh status             one line per service
#   scripts/dev-cluster.sh stop               stop the daemons (packages and data stay)
#   scripts/dev-cluster.sh env                print only the export lines for tests
#   ... --only slurm | --only postgres        act on one half only
#
# Slurm: cluster lmlab-dev, this host as controller and only node (on 127.0.0.1), partition
# `debug`; no cgroups needed (proctrack/linuxproc, task/none). On a host whose only interface is
# loopback it adds 127.0.0.2/8 to lo first (see check_slurm_network: why Slurm needs it). A job past its --time, or one
# that is cancelled, gets SIGTERM and KillWait=5 s later SIGKILL. Logs: /var/log/slurm/.
# PostgreSQL: listens on 127.0.0.1 only; role lmlab / password lmlab owns database lmlab_test.
# Every failure prints one line naming the step and its log, and the script exits non-zero.
set -euo pipefail

readonly SELF="dev-cluster"
readonly LOG_DIR=/var/log/lmlab-dev-cluster          # apt output and this script's own logs
readonly SLURM_CONF=/etc/slurm/slurm.conf
readonly SLURM_LOG_DIR=/var/log/slurm
readonly SLURM_RUN_DIR=/run/slurm
readonly SLURMCTLD_PID=$SLURM_RUN_DIR/slurmctld.pid
readonly SLURMD_PID=$SLURM_RUN_DIR/slurmd.pid
readonly SLURMCTLD_LOG=$SLURM_LOG_DIR/slurmctld.log
readonly SLURMD_LOG=$SLURM_LOG_DIR/slurmd.log
readonly MUNGE_PID=/run/munge/munged.pid
readonly MUNGE_LOG=/var/log/munge/munged.log
readonly CLUSTER=lmlab-dev
readonly PARTITION=debug
readonly URGENT=urgent   # second partition on the same node, only to preempt jobs in debug
readonly PG_ROLE=lmlab PG_PASSWORD=lmlab PG_DB=lmlab_test PG_CLUSTER=main
readonly PG_HBA_MARK="# lmlab dev-cluster"

changed=0        # set to 1 by every step that altered something
apt_updated=0    # apt-get update runs at most once per invocation
WAIT=30          # seconds any daemon gets to come up

say()  { echo "$SELF: $*"; }
fail() { echo "$SELF: FAILED: $*" >&2; exit 1; }
note_change() { changed=1; say "$*"; }

# The last error-looking line of a log, quoted, so one failure line can say why.
last_error() {
  local log=$1 line
  [[ -r $log ]] || { echo "(no log at $log)"; return; }
  line=$(grep -aiE 'error|fatal|fail|cannot|denied' "$log" | tail -n 1 || true)
  [[ -n $line ]] || line=$(tail -n 1 "$log")
  echo "\"${line:0:200}\""
}

# Pid from a pid file if that process is alive and named $2; else nothing and status 1.
live_pid() {
  local file=$1 name=$2 pid
  [[ -r $file ]] || return 1
  pid=$(tr -dc 0-9 <"$file")
  [[ -n $pid && -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$name" ]] || return 1
  echo "$pid"
}

# Retry "$@" until it succeeds or $WAIT seconds have passed (a wall-clock deadline: a probe that
# itself takes long cannot stretch the wait). External probes are run under `timeout` by callers.
wait_for() {
  local deadline=$((SECONDS + WAIT))
  while ((SECONDS < deadline)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

# Stop the process in pid file $1 (named $2): SIGTERM, then SIGKILL after 15 s.
stop_pid() {
  local file=$1 name=$2 pid i
  if ! pid=$(live_pid "$file" "$name"); then say "$name: not running"; return 0; fi
  kill -TERM "$pid"
  for ((i = 0; i < 30; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.5; done
  if [[ -d /proc/$pid ]]; then kill -KILL "$pid"; say "$name: killed (pid $pid) after 15 s"; fi
  rm -f "$file"
  say "$name: stopped (pid $pid)"
}

require_root() {
  [[ $(id -u) -eq 0 ]] || fail "must run as root (it installs packages and starts daemons): sudo $0 $1"
  if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    fail "apt-get/dpkg not found: this script is for Debian 12"
  fi
}

# ---------------------------------------------------------------- packages

missing_packages() {
  local p
  for p in "$@"; do dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || echo "$p"; done
}

apt_update() {
  [[ $apt_updated -eq 1 ]] && return 0
  DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$LOG_DIR/apt.log" 2>&1 || return 1
  apt_updated=1
}

# Install the packages that are missing. Daemons are kept from starting during the install
# (policy-rc.d), because this script starts them itself with its own configuration.
install_packages() {
  local need policy=/usr/sbin/policy-rc.d own_policy=0
  mapfile -t need < <(missing_packages "$@")
  [[ ${#need[@]} -gt 0 ]] || return 0
  mkdir -p "$LOG_DIR"
  say "installing ${need[*]} (log $LOG_DIR/apt.log)"
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local ok=1
  apt_update || ok=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" \
    >>"$LOG_DIR/apt.log" 2>&1 || ok=0
  [[ $own_policy -eq 1 ]] && rm -f "$policy"
  [[ $ok -eq 1 ]] || fail "apt-get install ${need[*]} (log $LOG_DIR/apt.log: $(last_error "$LOG_DIR/apt.log"))"
  changed=1
}

# ---------------------------------------------------------------- munge

munge_running() { live_pid "$MUNGE_PID" munged >/dev/null; }

start_munge() {
  local pid
  if pid=$(live_pid "$MUNGE_PID" munged); then say "munged: already running (pid $pid)"; return 0; fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key >>"$LOG_DIR/munge.log" 2>&1 ||
      fail "creating /etc/munge/munge.key (log $LOG_DIR/munge.log)"
    note_change "munge: created /etc/munge/munge.key"
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge
  # A munged that died leaves its socket and pid file: munged refuses to start over a socket
  # another munged might still own, so clear them when no munged is alive.
  rm -f "$MUNGE_PID" /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  runuser -u munge -- /usr/sbin/munged >>"$LOG_DIR/munge.log" 2>&1 ||
    fail "munged did not start (log $MUNGE_LOG: $(last_error "$MUNGE_LOG"))"
  wait_for timeout 5 sh -c 'munge -n | unmunge' ||
    fail "munged started but munge -n | unmunge fails (log $MUNGE_LOG: $(last_error "$MUNGE_LOG"))"
  note_change "munged: started (pid $(live_pid "$MUNGE_PID" munged || echo '?'))"
}

# ---------------------------------------------------------------- slurm

short_host() { hostname -s; }

# slurm.conf for this host, from what slurmd -C finds (CPUs, sockets, cores, threads, memory).
slurm_conf_text() {
  local host hw
  host=$(short_host)
  hw=$(slurmd -C 2>/dev/null | grep -m1 '^NodeName=' | sed 's/^NodeName=[^ ]* //') ||
    fail "slurmd -C could not read this host's hardware"
  [[ $hw == *CPUs=* ]] || fail "slurmd -C printed no CPUs= line"
  cat <<EOF
# Written by scripts/dev-cluster.sh (LandmarkLab) for host $host; rewritten when the host changes.
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
# Bind to the address this host's name resolves to (127.0.0.1), not to every interface.
CommunicationParameters=NoInAddrAny
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$SLURMCTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$SLURMCTLD_LOG
SlurmdLogFile=$SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container: track processes through /proc, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# A node that was down comes back by itself once its slurmd registers.
ReturnToService=2
# Time limits: at --time the job gets SIGCONT+SIGTERM, then SIGKILL KillWait seconds later.
# OverTimeLimit=0: no grace minutes past --time. Preemption (PreemptMode=REQUEUE) and scancel
# use the same SIGTERM, KillWait, SIGKILL sequence; a requeued batch job returns to pending.
KillWait=5
OverTimeLimit=0
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
JobRequeue=1
MinJobAge=300
SlurmdTimeout=60
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP PriorityTier=1
# Not for normal use: a job submitted with -p $URGENT preempts (requeues) jobs in $PARTITION,
# the way a busy cluster does, so preemption can be tested on one node.
PartitionName=$URGENT Nodes=$host Default=NO MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
EOF
}

# Write slurm.conf only if its text differs. Status 0 when it changed.
write_slurm_conf() {
  local new
  new=$(slurm_conf_text)
  if [[ -r $SLURM_CONF ]] && [[ $(<"$SLURM_CONF") == "$new" ]]; then return 1; fi
  mkdir -p "$(dirname "$SLURM_CONF")"
  printf '%s\n' "$new" >"$SLURM_CONF"
  chmod 644 "$SLURM_CONF"
  note_change "slurm: wrote $SLURM_CONF"
  return 0
}

slurm_dirs() {
  id slurm >/dev/null 2>&1 || fail "user slurm missing after installing slurm-wlm (see $LOG_DIR/apt.log)"
  install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld "$SLURM_LOG_DIR" "$SLURM_RUN_DIR"
  install -d -o root -g root -m 0755 /var/spool/slurmd
}

start_daemon() {  # name pidfile log
  local name=$1 pidfile=$2 log=$3 pid
  if pid=$(live_pid "$pidfile" "$name"); then say "$name: already running (pid $pid)"; return 0; fi
  rm -f "$pidfile"
  "/usr/sbin/$name" >>"$LOG_DIR/$name.out" 2>&1 ||
    fail "$name did not start (log $log: $(last_error "$log"))"
  wait_for live_pid "$pidfile" "$name" ||
    fail "$name exited right after starting (log $log: $(last_error "$log"))"
  note_change "$name: started (pid $(live_pid "$pidfile" "$name"))"
}

node_state() { timeout 10 sinfo -h -N -p "$PARTITION" -n "$(short_host)" -o '%T' 2>/dev/null | head -n 1; }
node_idle()  { [[ $(node_state) =~ ^(idle|mixed|allocated|completing)$ ]]; }

wait_node_idle() {
  local host state="" deadline=$((SECONDS + WAIT)) next_resume=$((SECONDS + 5))
  host=$(short_host)
  while ((SECONDS < deadline)); do
    node_idle && return 0
    state=$(node_state)
    live_pid "$SLURMD_PID" slurmd >/dev/null ||
      fail "slurmd exited after starting (log $SLURMD_LOG: $(last_error "$SLURMD_LOG"))"
    # Drained (by hand, or by slurmctld for a reason) or still down from an earlier life, e.g.
    # "Not responding": resume it, at once when drained, after 5 s when down (ReturnToService=2
    # usually brings a down node back by itself as soon as its slurmd registers).
    if [[ $state =~ drain ]] || { [[ $state =~ down|fail ]] && ((SECONDS >= next_resume)); }; then
      local reason
      reason=$(timeout 10 sinfo -h -N -p "$PARTITION" -n "$host" -o '%E' 2>/dev/null)
      timeout 10 scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
      note_change "slurm: node $host was $state (reason: ${reason:-none}), resumed it"
      next_resume=$((SECONDS + 5))
    fi
    sleep 0.5
  done
  fail "node $host is '${state:-unknown}', not idle, after ${WAIT}s: $(timeout 10 sinfo -h -N -p "$PARTITION" -n "$host" -o '%E' 2>/dev/null) (logs $SLURMCTLD_LOG, $SLURMD_LOG)"
}

# Jobs of others on the node (e.g. a test suite's sweep) make ours wait: say so, wait longer.
others_jobs() { timeout 10 squeue -h -o '%i' 2>/dev/null | wc -l; }

verify_slurm() {
  local out err dir job a busy limit=120
  busy=$(others_jobs)
  [[ $busy -eq 0 ]] || say "verify: $busy job(s) of others in the queue; ours may wait for them (up to ${limit}s)"
  err=$(mktemp)
  out=$(timeout "$limit" srun -N1 -p "$PARTITION" -t 1 -J lmlab-verify hostname 2>"$err") ||
    fail "srun -N1 hostname: $(tr '\n' ' ' <"$err")$( [[ $busy -eq 0 ]] || echo "(queued behind $busy jobs: squeue)") (logs $SLURMCTLD_LOG, $SLURMD_LOG)"
  say "verify: srun -N1 hostname -> $out"
  dir=$(mktemp -d /tmp/lmlab-dev-cluster.XXXXXX)
  chmod 755 "$dir"
  # shellcheck disable=SC2016  # $SLURM_ARRAY_TASK_ID is for the job's shell
  job=$(timeout "$limit" sbatch --parsable --wait -p "$PARTITION" -t 1 --array=0-1 -J lmlab-verify \
    -o "$dir/%a.out" --wrap 'echo $SLURM_ARRAY_TASK_ID' 2>"$err") ||
    fail "sbatch --array=0-1 did not finish in ${limit}s: $(tr '\n' ' ' <"$err") (logs $SLURMCTLD_LOG, $SLURMD_LOG)"
  rm -f "$err"
  for a in 0 1; do
    [[ $(cat "$dir/$a.out" 2>/dev/null) == "$a" ]] ||
      fail "sbatch array task $a wrote '$(cat "$dir/$a.out" 2>/dev/null)' instead of $a (log $SLURMD_LOG)"
  done
  say "verify: sbatch --array=0-1 job ${job%%;*} -> task 0 printed $(<"$dir/0.out"), task 1 printed $(<"$dir/1.out")"
  rm -rf "$dir"
}

# Slurm 22.05 resolves every address, even 127.0.0.1, with getaddrinfo(AF_INET, AI_ADDRCONFIG).
# glibc answers that only when the host has an IPv4 address other than 127.0.0.1 itself (it
# skips exactly 127.0.0.1 when it looks for configured addresses), so on a host whose only
# interface is loopback (a container or namespace with no network) it finds nothing and
# slurmctld dies with "Unable to resolve 127.0.0.1". A second loopback address, 127.0.0.2/8 on
# lo, is enough: glibc counts it, and nothing is reachable from outside the host. `getent
# ahostsv4 127.0.0.1` asks the resolver exactly what Slurm asks.
check_slurm_network() {
  getent ahostsv4 127.0.0.1 >/dev/null 2>&1 && return 0
  local err
  if [[ $(cat /sys/class/net/lo/operstate 2>/dev/null) == down ]] || ! ip -4 addr show dev lo 2>/dev/null | grep -q 'inet 127\.0\.0\.1/'; then
    err=$(ip link set lo up 2>&1 && ip addr replace 127.0.0.1/8 dev lo 2>&1) ||
      fail "slurm cannot start here: the loopback interface lo is down or has no 127.0.0.1, and bringing it up failed: $err"
    note_change "network: brought lo up with 127.0.0.1/8"
    getent ahostsv4 127.0.0.1 >/dev/null 2>&1 && return 0
  fi
  command -v ip >/dev/null ||
    fail "slurm cannot start here: this host has no IPv4 address besides 127.0.0.1, so getaddrinfo(AF_INET, AI_ADDRCONFIG) (how Slurm 22.05 resolves 127.0.0.1) finds nothing, and \`ip\` (iproute2) is missing to add 127.0.0.2/8 to lo: apt-get install iproute2"
  err=$(ip addr add 127.0.0.2/8 dev lo 2>&1) ||
    fail "slurm cannot start here: this host has no IPv4 address besides 127.0.0.1, so getaddrinfo(AF_INET, AI_ADDRCONFIG) (how Slurm 22.05 resolves 127.0.0.1) finds nothing, and adding a second loopback address failed (ip addr add 127.0.0.2/8 dev lo: $err; it needs CAP_NET_ADMIN)"
  note_change "network: this host's only IPv4 address was 127.0.0.1, which getaddrinfo(AF_INET, AI_ADDRCONFIG) does not count, so Slurm could not resolve 127.0.0.1; added 127.0.0.2/8 to lo (loopback only)"
  getent ahostsv4 127.0.0.1 >/dev/null 2>&1 ||
    fail "slurm cannot start here: getent ahostsv4 127.0.0.1 (getaddrinfo AF_INET, AI_ADDRCONFIG) still finds nothing after adding 127.0.0.2/8 to lo"
}

# slurmd listens on the address its host name resolves to (CommunicationParameters=NoInAddrAny
# keeps it off other interfaces), resolved the same way: a name that resolves to nothing stops it
# with "Unable to bind listen port (6818)". Say so, with the line that fixes it.
check_slurm_hostname() {
  local host
  host=$(short_host)
  getent ahostsv4 "$host" >/dev/null 2>&1 && return 0
  fail "slurm cannot start here: slurmd listens on the address its host name resolves to (NoInAddrAny), and '$host' resolves to no IPv4 address (getent ahostsv4 $host finds nothing); add it to /etc/hosts, e.g.: echo '127.0.0.1 $host' >> /etc/hosts"
}

start_slurm() {
  install_packages munge slurm-wlm
  check_slurm_network
  check_slurm_hostname
  start_munge
  slurm_dirs
  if write_slurm_conf; then
    # New or changed configuration: daemons still running on the old one must restart.
    if live_pid "$SLURMD_PID" slurmd >/dev/null || live_pid "$SLURMCTLD_PID" slurmctld >/dev/null; then
      say "slurm: configuration changed, restarting slurmctld and slurmd"
      stop_pid "$SLURMD_PID" slurmd
      stop_pid "$SLURMCTLD_PID" slurmctld
    fi
  fi
  start_daemon slurmctld "$SLURMCTLD_PID" "$SLURMCTLD_LOG"
  wait_for timeout 5 scontrol ping ||
    fail "slurmctld does not answer scontrol ping (log $SLURMCTLD_LOG: $(last_error "$SLURMCTLD_LOG"))"
  start_daemon slurmd "$SLURMD_PID" "$SLURMD_LOG"
  wait_node_idle
  verify_slurm
}

stop_slurm() {
  stop_pid "$SLURMD_PID" slurmd
  stop_pid "$SLURMCTLD_PID" slurmctld
  stop_pid "$MUNGE_PID" munged
}

status_slurm() {
  local pid n state
  for n in munged:"$MUNGE_PID" slurmctld:"$SLURMCTLD_PID" slurmd:"$SLURMD_PID"; do
    if pid=$(live_pid "${n#*:}" "${n%%:*}"); then
      echo "${n%%:*}: running (pid $pid)"
    else
      echo "${n%%:*}: stopped"
    fi
  done
  if live_pid "$SLURMCTLD_PID" slurmctld >/dev/null; then
    state=$(node_state || true)
    echo "slurm node $(short_host): ${state:-unknown (sinfo fails: is munged up?)} (partition $PARTITION, $(others_jobs) jobs queued or running)"
  fi
}

# ---------------------------------------------------------------- postgresql

# The newest PostgreSQL major version installed (a server binary present), or nothing.
installed_pg_version() {
  local d v=""
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [[ -x $d ]] || continue
    d=${d#/usr/lib/postgresql/}; d=${d%%/*}
    [[ -z $v || $d -gt $v ]] && v=$d
  done
  echo "$v"
}

# The major version: the one installed, else the one apt offers for `postgresql`.
pg_version() {
  local v
  v=$(installed_pg_version)
  if [[ -z $v ]]; then
    v=$(apt-cache policy postgresql 2>/dev/null | awk '/Candidate:/ { print $2 }' | sed 's/+.*//')
    if [[ -z $v || $v == "(none)" ]]; then
      apt_update || true
      v=$(apt-cache policy postgresql 2>/dev/null | awk '/Candidate:/ { print $2 }' | sed 's/+.*//')
    fi
  fi
  [[ $v =~ ^[0-9]+$ ]] || fail "apt offers no postgresql package (apt-cache policy postgresql; log $LOG_DIR/apt.log)"
  [[ $v == 15 ]] || say "note: this machine's postgresql is major version $v, not 15; using $v" >&2
  echo "$v"
}

pg_field() { pg_lsclusters -h 2>/dev/null | awk -v v="$1" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $'"$2"' }'; }
pg_port()  { pg_field "$1" 3; }
pg_online() { [[ $(pg_field "$1" 4) == online ]]; }
pg_log()   { echo "/var/log/postgresql/postgresql-$1-$PG_CLUSTER.log"; }
pg_sql()   { local v=$1; shift; PGCONNECT_TIMEOUT=5 runuser -u postgres -- psql -p "$(pg_port "$v")" -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

pg_configure() {
  local v=$1 conf hba tmp
  conf=/etc/postgresql/$v/$PG_CLUSTER/conf.d/lmlab-dev.conf
  hba=/etc/postgresql/$v/$PG_CLUSTER/pg_hba.conf
  tmp=$(printf "%s\n" "# Written by scripts/dev-cluster.sh (LandmarkLab): loopback only, SCRAM passwords." \
    "listen_addresses = '127.0.0.1'" "password_encryption = 'scram-sha-256'")
  if [[ ! -r $conf ]] || [[ $(<"$conf") != "$tmp" ]]; then
    printf '%s\n' "$tmp" >"$conf"
    pg_conf_changed=1
    note_change "postgres: wrote $conf"
  fi
  if ! grep -qF "$PG_HBA_MARK" "$hba"; then
    # First matching line wins: put ours before Debian's rules.
    sed -i "0,/^[^#[:space:]]/s//$PG_HBA_MARK\nhost    $PG_DB    $PG_ROLE    127.0.0.1\/32    scram-sha-256\n&/" "$hba"
    grep -qF "$PG_HBA_MARK" "$hba" || fail "could not add the lmlab line to $hba"
    pg_conf_changed=1
    note_change "postgres: added 'host $PG_DB $PG_ROLE 127.0.0.1/32 scram-sha-256' to $hba"
  fi
}

pg_listening_ok() {  # postgres must listen on 127.0.0.1 and nowhere else
  local v=$1
  [[ $(pg_sql "$v" -c "show listen_addresses") == 127.0.0.1 ]]
}

start_postgres() {
  local v
  install_packages postgresql
  v=$(pg_version)
  install_packages "postgresql-$v" "postgresql-client-$v"
  if [[ -z $(pg_field "$v" 1) ]]; then
    pg_createcluster "$v" "$PG_CLUSTER" >>"$LOG_DIR/postgres.log" 2>&1 ||
      fail "pg_createcluster $v $PG_CLUSTER (log $LOG_DIR/postgres.log)"
    note_change "postgres: created cluster $v/$PG_CLUSTER"
  fi
  pg_conf_changed=0
  pg_configure "$v"
  if pg_online "$v"; then
    if [[ $pg_conf_changed -eq 1 ]] && ! pg_listening_ok "$v"; then
      pg_ctlcluster "$v" "$PG_CLUSTER" restart >>"$LOG_DIR/postgres.log" 2>&1 ||
        fail "pg_ctlcluster $v $PG_CLUSTER restart (log $(pg_log "$v"): $(last_error "$(pg_log "$v")"))"
      note_change "postgres: restarted $v/$PG_CLUSTER for the new listen_addresses"
    elif [[ $pg_conf_changed -eq 1 ]]; then
      pg_ctlcluster "$v" "$PG_CLUSTER" reload >>"$LOG_DIR/postgres.log" 2>&1 ||
        fail "pg_ctlcluster $v $PG_CLUSTER reload (log $(pg_log "$v"))"
      note_change "postgres: reloaded $v/$PG_CLUSTER for the new pg_hba.conf"
    fi
    [[ $pg_conf_changed -eq 1 ]] || say "postgres $v/$PG_CLUSTER: already running (port $(pg_port "$v"))"
  else
    pg_ctlcluster "$v" "$PG_CLUSTER" start >>"$LOG_DIR/postgres.log" 2>&1 ||
      fail "pg_ctlcluster $v $PG_CLUSTER start (log $(pg_log "$v"): $(last_error "$(pg_log "$v")"))"
    note_change "postgres $v/$PG_CLUSTER: started (port $(pg_port "$v"))"
  fi
  wait_for pg_sql "$v" -c "select 1" ||
    fail "postgres $v/$PG_CLUSTER does not answer on its socket (log $(pg_log "$v"))"
  pg_listening_ok "$v" ||
    fail "postgres listens on '$(pg_sql "$v" -c 'show listen_addresses')', not 127.0.0.1 only (conf.d/lmlab-dev.conf overridden?)"
  pg_role_and_db "$v"
  verify_postgres "$v"
}

pg_role_and_db() {
  local v=$1 port
  port=$(pg_port "$v")
  if [[ $(pg_sql "$v" -c "select 1 from pg_roles where rolname = '$PG_ROLE'") != 1 ]]; then
    pg_sql "$v" -c "create role $PG_ROLE login password '$PG_PASSWORD'" >/dev/null ||
      fail "create role $PG_ROLE (log $(pg_log "$v"))"
    note_change "postgres: created role $PG_ROLE"
  elif ! PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p "$port" -U "$PG_ROLE" -d postgres -X -tAc 'select 1' >/dev/null 2>&1; then
    pg_sql "$v" -c "alter role $PG_ROLE login password '$PG_PASSWORD'" >/dev/null ||
      fail "alter role $PG_ROLE (log $(pg_log "$v"))"
    note_change "postgres: reset the password of role $PG_ROLE"
  fi
  if [[ $(pg_sql "$v" -c "select 1 from pg_database where datname = '$PG_DB'") != 1 ]]; then
    pg_sql "$v" -c "create database $PG_DB owner $PG_ROLE" >/dev/null ||
      fail "create database $PG_DB (log $(pg_log "$v"))"
    note_change "postgres: created database $PG_DB owned by $PG_ROLE"
  fi
}

verify_postgres() {
  local v=$1 out
  out=$(PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p "$(pg_port "$v")" -U "$PG_ROLE" -d "$PG_DB" -X -c 'select 1' 2>&1) ||
    fail "psql -h 127.0.0.1 -U $PG_ROLE -d $PG_DB: ${out//$'\n'/ } (log $(pg_log "$v"))"
  say "verify: psql -h 127.0.0.1 -U $PG_ROLE -d $PG_DB -c 'select 1' -> $(echo "$out" | sed -n 3p | tr -d ' ') ($(echo "$out" | tail -n 1))"
}

stop_postgres() {
  local v
  v=$(installed_pg_version)
  if [[ -z $v ]] || ! pg_online "$v"; then say "postgres: not running"; return 0; fi
  pg_ctlcluster "$v" "$PG_CLUSTER" stop >>"$LOG_DIR/postgres.log" 2>&1 ||
    fail "pg_ctlcluster $v $PG_CLUSTER stop (log $(pg_log "$v"))"
  say "postgres $v/$PG_CLUSTER: stopped"
}

status_postgres() {
  local v
  v=$(installed_pg_version)
  if [[ -z $v ]]; then echo "postgres: not installed"; return; fi
  if pg_online "$v"; then
    echo "postgres $v/$PG_CLUSTER: running (port $(pg_port "$v"), pid $(head -n 1 "/var/lib/postgresql/$v/$PG_CLUSTER/postmaster.pid" 2>/dev/null))"
  else
    echo "postgres $v/$PG_CLUSTER: stopped"
  fi
}

# ---------------------------------------------------------------- main

print_env() {
  local v port
  if [[ $only != slurm ]]; then
    v=$(installed_pg_version)
    port=$(pg_port "$v" 2>/dev/null || true)
    echo "export LMLAB_TEST_POSTGRES=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:${port:-5432}/$PG_DB"
  fi
  if [[ $only != postgres ]]; then
    echo "export LMLAB_SLURM=1 LMLAB_SLURM_PARTITION=$PARTITION  # cluster $CLUSTER, node $(short_host)"
  fi
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

main() {
  local cmd=start args="$*"
  only=all
  while [[ $# -gt 0 ]]; do
    case $1 in
      start | stop | status | env) cmd=$1 ;;
      --only) only=${2:-}; shift ;;
      --only=*) only=${1#--only=} ;;
      -h | --help | help) usage 0 ;;
      *) echo "$SELF: unknown argument '$1'" >&2; usage 2 ;;
    esac
    shift
  done
  [[ $only =~ ^(all|slurm|postgres)$ ]] || fail "--only takes slurm or postgres, not '$only'"
  case $cmd in
    start)
      require_root "$args"
      mkdir -p "$LOG_DIR"
      local t0=$SECONDS
      [[ $only == postgres ]] || start_slurm
      [[ $only == slurm ]] || start_postgres
      if [[ $changed -eq 0 ]]; then say "everything was already up: nothing changed (${SECONDS}s)"
      else say "ready in $((SECONDS - t0))s"; fi
      echo "# environment for tests and users:"
      print_env
      ;;
    stop)
      require_root "$args"
      [[ $only == postgres ]] || stop_slurm
      [[ $only == slurm ]] || stop_postgres
      ;;
    status)
      [[ $only == postgres ]] || status_slurm
      [[ $only == slurm ]] || status_postgres
      ;;
    env) print_env ;;
  esac
}

main "$@"
