#!/usr/bin/env bash
# A real one-node Slurm on 127.0.0.1: `mathmine run --slurm` submits a pipeline (extract ->
# URL dedup map -> merge -> attributes -> apply) as job arrays of 4 tasks chained with afterok; the outputs
# are byte-identical to a local run; a cancelled array element shows in `mathmine status` and
# submitting again completes it; a task cancelled while it runs (its input held by a slow HTTP
# server) shows as running, then as failed, and a resubmission redoes it.  Installs slurm-wlm and munge when missing (root, apt-get);
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
# w8 is cut short at its end: extract keeps its shard with --keep-cut (see the pipeline below)
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
map = extract -j 1 --keep-cut -o {out}/docs
inputs = $T/warc.paths.gz
base = $T/w

[url-map]
map = dedup url --stage map -j 1 --work {out}/work
inputs = {out}/docs/*.jsonl.zst

[url-merge]
reduce = dedup url --stage merge --work {out}/work

[url-tag]
map = dedup url --stage filter -j 1 --work {out}/work --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst

[apply]
map = apply -j 1 --attrs {out}/attrs -o {out}/clean
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
grep -q '^url-merge: job' submit.out && grep -q '^url-tag: job' submit.out && grep -q '^apply: job' submit.out && ok "merge, tag (attributes) and apply submitted" || fail "merge, tag and apply submitted"
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
same "status: every stage done" "$(awk 'NR>1 && $4==$3{n++} END{print n}' status2.out)" 5
same "extract tasks ran under Slurm" "$(grep -l '"slurm_job":"[0-9]' cl/_run/extract/*.json | wc -l)" 4
for d in docs attrs clean; do
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

# ---- a task cancelled while it runs ----
# Its one input is a URL on a real HTTP server (127.0.0.1) that holds the answer while $T/hold
# exists, so the task is mid-way (started, reading) for as long as the test wants.
cat >"$T/slow.py" <<'PYEOF'
import http.server, os, sys, time
data = open(sys.argv[1], "rb").read()
hold = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        while os.path.exists(hold):
            time.sleep(0.2)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the reader was cancelled
            pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[3] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
s.serve_forever()
PYEOF
touch "$T/hold"
$PY "$T/slow.py" "$D/warcfile.warc.gz" "$T/hold" "$T/port" & SRV=$!
for _ in $(seq 50); do [ -f "$T/port" ] && break; sleep 0.1; done
printf 'http://127.0.0.1:%s/slow/w.warc.gz\n' "$(cat "$T/port")" >"$T/slow.list"
cat >mid.ini <<P
out = $T/mid
tasks = 1

[slurm]
partition = mmtest
time = 00:05:00
cpus = 1

[extract]
map = extract -j 1 -o {out}/docs
inputs = $T/slow.list
P
$MM run mid.ini --slurm >submit-mid.out 2>&1 || { fail "submit the slow pipeline"; cat submit-mid.out; }
mjid=$(sed -n 's/^extract: job \([0-9]*\),.*/\1/p' submit-mid.out)
running=0
for _ in $(seq 120); do
  $MM status mid --json 2>/dev/null | grep -q '"stage":"extract".*"running":1' && { running=1; break; }
  sleep 0.5
done
same "status: a task reading its input shows as running (its Slurm job is in the queue)" "$running" 1
scancel "$mjid" && ok "scancel the running task's job" || fail "scancel the running task's job"
wait_queue && ok "the cancelled job leaves the queue" || fail "the cancelled job leaves the queue"
$MM status mid >status-mid.out; rc=$?
cat status-mid.out
same "status exits 1 after the cancel" "$rc" 1
same "status: the cancelled task counts as failed, not running" "$(awk '$1=="extract"{print $5, $6}' status-mid.out)" "0 1"
grep -q '^  failed: .*task-00000-of-00001' status-mid.out && ok "status names the cancelled task's log" || fail "status names the cancelled task's log"
rm -f "$T/hold"
$MM run mid.ini --slurm >submit-mid2.out 2>&1 || { fail "resubmit the slow pipeline"; cat submit-mid2.out; }
wait_queue && ok "the resubmitted task finishes" || fail "the resubmitted task finishes"
$MM status mid >status-mid2.out
same "status: the cancelled task done after resubmission" "$(awk '$1=="extract"{print $4, $6}' status-mid2.out)" "1 0"
cp "$D/warcfile.warc.gz" "$T/w.warc.gz"
$MM -q extract -j 1 -o local-mid "$T/w.warc.gz" >/dev/null 2>&1
same "the resubmitted task's shard (from the URL) has the local file's name" "$(ls mid/docs)" "$(ls local-mid)"
f=$(ls local-mid | head -1)
[ -n "$f" ] && cmp -s "local-mid/$f" "mid/docs/$f" && ok "the resubmitted task's shard is byte-identical to extracting the file here" || fail "the resubmitted task's shard is byte-identical to extracting the file here"
kill $SRV 2>/dev/null
# A marker of a task started on another node whose Slurm job is gone (node lost, timed out):
# failed with the job named while squeue answers; without squeue nothing can be known, so it
# counts as running.
mk=$(ls mid/_run/extract/task-00000-of-00001.json)
mv "$mk" "$T/marker.keep"
printf '{"host":"node-elsewhere","pid":1,"start":1,"slurm_job":"99999"}\n' >mid/_run/extract/task-00000-of-00001.started
$MM status mid >status-gone.out
same "status: a started task whose job left the queue is failed" "$(awk '$1=="extract"{print $5, $6}' status-gone.out)" "0 1"
grep -q 'Slurm job 99999 left the queue' status-gone.out && ok "status names the lost Slurm job" || { fail "status names the lost Slurm job"; cat status-gone.out; }
mkdir -p "$T/nosq"; ln -sf "$(command -v awk)" "$T/nosq/awk"
PATH=$T/nosq $MM status mid >status-nosq.out 2>&1
same "status without squeue: the task counts as running" "$(awk '$1=="extract"{print $5, $6}' status-nosq.out)" "1 0"
mv "$T/marker.keep" "$mk"
stop_daemons
sleep 1
alive=0; for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
same "every daemon stopped" "$alive" 0
finish
