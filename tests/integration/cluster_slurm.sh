#!/usr/bin/env bash
# A real one-node Slurm on 127.0.0.1: `mathmine run --slurm` submits a pipeline (extract ->
# URL dedup map -> merge -> filter) as job arrays of 4 tasks chained with afterok; the outputs
# are byte-identical to a local run; a cancelled array element shows in `mathmine status` and
# submitting again completes it.  Installs slurm-wlm and munge when missing (root, apt-get);
# every daemon runs from a private config in $T and is stopped at the end.
source "$(dirname "$0")/../lib.sh"
# one one-node Slurm per machine at a time (parallel worktrees, parallel CI jobs)
exec 9>"${TMPDIR:-/tmp}/mathmine-slurm-test.lock"; flock 9
need=""
for p in slurm-wlm munge; do dpkg-query -W -f='${Status}\n' $p 2>/dev/null | grep -q 'install ok installed' || need="$need $p"; done
if [ -n "$need" ]; then
  echo "installing$need"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends $need; } >"$T/apt.log" 2>&1 || { tail -20 "$T/apt.log"; fail "apt-get install$need"; finish; }
fi

# ---- a private munge + slurmctld + slurmd ----
free_port() { $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
S=$T/slurm; mkdir -p "$S/state" "$S/spool" "$S/munge"; chmod 700 "$S/munge"
dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 2>/dev/null; chmod 600 "$S/munge/munge.key"
stop_daemons() {
  for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 1
  for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
  done
  return 0
}
trap 'stop_daemons; _cleanup' EXIT
munged -f --key-file="$S/munge/munge.key" --socket="$S/munge/munge.sock" --pid-file="$S/munge/munged.pid" \
  --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" || { fail "munged starts"; finish; }
CPUS=$(nproc)
cat >"$S/slurm.conf" <<CONF
ClusterName=mmtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.sock
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=sched_min_interval=100000
DependencyParameters=kill_invalid_depend
ReturnToService=2
MpiDefault=none
KillWait=2
MinJobAge=2
MaxArraySize=1001
NodeName=mmnode NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=mmtest Nodes=mmnode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$S/slurm.conf
slurmctld -i -f "$S/slurm.conf" || { fail "slurmctld starts"; tail "$S/slurmctld.log"; finish; }
slurmd -N mmnode -f "$S/slurm.conf" || { fail "slurmd starts"; tail "$S/slurmd.log"; finish; }
up=""
for _ in $(seq 60); do
  sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' && { up=1; break; }; sleep 0.5
done
[ -n "$up" ] && ok "one-node Slurm is up" || { fail "one-node Slurm is up"; sinfo; tail -5 "$S/slurmctld.log" "$S/slurmd.log"; finish; }

# ---- the pipeline: 8 WARCs, arrays of 4 tasks (2 inputs each) ----
D=$SHARED/testdata/chatnoir-resiliparse/tests/data
mkdir -p "$T/w"
for i in 1 2 3 4 5 6; do cp "$D/warcfile.warc.gz" "$T/w/w$i.warc.gz"; done
cp "$D/clueweb-quirk.warc.gz" "$T/w/w7.warc.gz"; cp "$D/clipped.warc.gz" "$T/w/w8.warc.gz"
(cd "$T/w" && ls) | gzip >"$T/warc.paths.gz"
pipeline() { # OUT
  cat <<P
out = $1
tasks = 4
array_limit = 1

[slurm]
partition = mmtest
time = 00:05:00
cpus = 1

[extract]
map = extract -j 1 -o {out}/docs
inputs = $T/warc.paths.gz
base = $T/w

[url-map]
map = dedup url --stage map -j 1 --work {out}/work
inputs = {out}/docs/*.jsonl.zst

[url-merge]
reduce = dedup url --stage merge --work {out}/work

[url-filter]
map = dedup url --stage filter -j 1 --work {out}/work --out-dir {out}/clean
inputs = {out}/docs/*.jsonl.zst
P
}
cd "$T"
pipeline "$T/local" >local.ini; pipeline "$T/cl" >cl.ini
check "local run" $MM run local.ini -j 2
wait_queue() { # until no job of ours is queued (at most 120 s)
  for _ in $(seq 240); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && return 0; sleep 0.5; done
  squeue; return 1
}
$MM run cl.ini --slurm >submit.out 2>&1 || { fail "submit"; cat submit.out; }
cat submit.out
jid=$(sed -n 's/^extract: job \([0-9]*\),.*/\1/p' submit.out)
same "extract was submitted as an array of 4" "$(grep -c '^extract: job .*4 of 4 tasks (0-3)' submit.out)" 1
grep -q '^url-map: job .*after '"$jid" submit.out && ok "url-map waits on extract (afterok)" || fail "url-map waits on extract (afterok)"
grep -q '^url-merge: job' submit.out && grep -q '^url-filter: job' submit.out && ok "merge and filter submitted" || fail "merge and filter submitted"
# array_limit = 1 runs one element at a time: element 3 is still pending; cancel it
scancel "${jid}_3" && ok "scancel one array element" || fail "scancel one array element"
wait_queue && ok "the queue drains (dependent jobs of the cancelled array are cancelled)" || fail "the queue drains"
$MM status cl >status1.out; rc=$?
cat status1.out
same "status exits 1 while tasks are unfinished" "$rc" 1
same "status: extract 3 of 4 done, 1 pending" "$(awk '$1=="extract"{print $4, $7}' status1.out)" "3 1"
same "status: url-map not run" "$(awk '$1=="url-map"{print $4, $7}' status1.out)" "0 4"
$MM run cl.ini --slurm >submit2.out 2>&1 || { fail "resubmit"; cat submit2.out; }
cat submit2.out
same "resubmission sends only extract task 3" "$(grep -c '^extract: job .*1 of 4 tasks (3)' submit2.out)" 1
wait_queue && ok "the second submission finishes" || fail "the second submission finishes"
$MM status cl >status2.out; rc=$?
cat status2.out
same "status exits 0 when every task is done" "$rc" 0
same "status: every stage done" "$(awk 'NR>1 && $4==$3{n++} END{print n}' status2.out)" 4
same "extract tasks ran under Slurm" "$(grep -l '"slurm_job":"[0-9]' cl/_run/extract/*.json | wc -l)" 4
for d in docs clean clean/removed; do
  a=$(cd "local/$d" && ls | grep -v '^removed$'); b=$(cd "cl/$d" && ls | grep -v '^removed$')
  same "$d: same files as the local run" "$b" "$a"
  bad=0; for f in $a; do cmp -s "local/$d/$f" "cl/$d/$f" || bad=1; done
  same "$d: byte-identical to the local run" "$bad" 0
done
same "8 document shards" "$(ls cl/docs | wc -l)" 8
# the last job of a submission writes the manifest, after the stages whatever their outcome
grep -q '^manifest: job [0-9]*, after ' submit2.out && ok "a manifest job follows the stages" || fail "manifest job"
same "manifest written by the Slurm job: 8 WARC files" \
    "$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["cost"]["warc_files"])' cl/_run/manifest.json 2>&1)" 8
$MM run cl.ini --slurm >submit3.out 2>&1
same "a finished pipeline submits nothing" "$(grep -c ': job ' submit3.out)" 0
stop_daemons
sleep 1
alive=0; for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
same "every daemon stopped" "$alive" 0
finish
