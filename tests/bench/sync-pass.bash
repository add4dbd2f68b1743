#!/bin/bash
# sync-pass.bash: the supervisor's benchmark (make bench, last). In tmpfs
# it commits genrepo's 10,000-object repository, serves it from a bare
# repository with git daemon, and runs `sluice sync` (git-fetch |
# manifest-gen | kube-apply | gc, then the sync tag) into the stand-in API
# server (tests/servers/kube-apiserver.py), over git:// from git daemon:
#   first pass    an empty cluster: every object created
#   no change     nothing fetched: the pass ends after git-fetch
#                 (BENCH_RUNS times; p50 and worst)
#   one-line      an image tag changed in one Deployment and pushed, then
#   change        one pass (BENCH_RUNS times): p50 and p99 (the worst of
#                 the runs) from the push to the object applied (the API
#                 server's answer to the one mutating request, which must
#                 be the only one), and to the end of the pass (gc and
#                 the sync tag's push after it)
# For the one-line change, each stage is then run alone on what the one
# before it wrote (the same pass, replayed) to give each stage's share.
# Timing never fails the run; a wrong count or a failed pass does (exit 1).
#
# Environment: SLUICE_BUILD (the build tree, set by make), BENCH_OBJECTS
# (default 10000), BENCH_SEED (default 1), BENCH_RUNS (default 10).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
# shellcheck source=../servers/kube-servers.bash
. "$here/../servers/kube-servers.bash"
# shellcheck source=../servers/git-servers.bash
. "$here/../servers/git-servers.bash"

build=${SLUICE_BUILD:?SLUICE_BUILD must name the build tree}
objects=${BENCH_OBJECTS:-10000}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-10}
PATH=$build/bin:$PATH
export SLUICE_LOG_FORMAT=json

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
dir=$(mktemp -d "$shm/sluice-bench.XXXXXX")
export GIT_SERVERS_PIDFILE=$dir/git.pids
trap 'stop_kube_apiserver; stop_servers; rm -rf "$dir"' EXIT
export SLUICE_STATE_DIR=$dir/state SLUICE_CONFIG_DIR=$dir/etc

ms () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }
# pctl P FILE: the P-th percentile of the numbers in FILE (nearest rank)
pctl () {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'
}

printf 'sluice sync pass benchmark\n'
printf 'machine: %s CPUs, %s, %s; tmpfs %s\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(uname -sr)" "$dir"

"$build/tests/bench/genrepo" -n "$objects" -s "$seed" "$dir/w" >/dev/null
git_q init -q -b main "$dir/w"
git_q -C "$dir/w" add -A
git_q -C "$dir/w" commit -q -m "bench: $objects objects"
mkdir -p "$dir/srv"
git_q clone -q --bare "$dir/w" "$dir/srv/src.git"
git_q -C "$dir/w" remote add origin "$dir/srv/src.git"
# served by git daemon: over file:// libgit2 1.5 packs the objects itself
start_git_daemon "$dir/srv" 2>"$dir/err" || fail "git daemon did not start"
url=git://127.0.0.1:$GITD_PORT/src.git
start_kube_apiserver "$dir/kube" >/dev/null 2>"$dir/err" ||
    fail "the API server did not start"
mkdir -p "$SLUICE_CONFIG_DIR"
printf '%s\n' "GIT_URL=$url" GIT_BRANCH=main \
    "KUBECONFIG=$KUBECONFIG_FILE" SYNC_GARBAGE_COLLECTION=true \
    SYNC_INTERVAL=1h >"$SLUICE_CONFIG_DIR/bench.env"

pass () {	# pass: one sync pass; its wall time in ms in $took
	local a b
	a=$(date +%s%N)
	sluice sync bench 2>"$dir/journal" || fail "sluice sync exited $?"
	b=$(date +%s%N)
	took=$(ms "$a" "$b")
}
summary () { jq -r "$1" "$SLUICE_STATE_DIR/bench/sync.json"; }

# 1. first pass
pass
n=$(summary '.counts.created')
[ "$n" -gt 0 ] || mismatch "the first pass created $n objects"
printf '\n%-40s %8s ms  (%s objects created)\n' "first pass" "$took" "$n"
pass	# the sync tag's first full re-apply (no inventory, no last full)

# 2. no change
: >"$dir/nochange"
for _ in $(seq "$runs"); do
	pass
	[ "$(summary .mode)" = fetch ] || mismatch "a no-change pass did more"
	printf '%s\n' "$took" >>"$dir/nochange"
done
p50=$(pctl 50 "$dir/nochange")
printf '%-40s %8s ms p50, %s ms worst (goal: under 100 ms: %s)\n' \
    "no change (nothing fetched)" "$p50" "$(pctl 100 "$dir/nochange")" \
    "$(verdict "$([ "$p50" -lt 100 ] && echo 1 || echo 0)")"

# 3. one line changed: an image tag in one Deployment
file=$(grep -rl --include='*.yaml' '^ *image: ' "$dir/w" | grep -v '/\.git/' |
    LC_ALL=C sort | head -n 1)
[ -n "$file" ] || fail "no Deployment with an image in the repository"
: >"$dir/change"
: >"$dir/applied"
muts=
for i in $(seq "$runs"); do
	sed -i "0,/^\( *image: [^ ]*\)/s//\1-b$i/" "$file"
	git_q -C "$dir/w" commit -q -a -m "bench: image $i"
	git_q -C "$dir/w" push -q origin main
	kube_stats_reset
	# from here: the poll that finds the push (its interval excluded)
	a=$(date +%s%N)
	pass
	b=$(date +%s%N)
	[ "$(summary '.counts.configured')" -eq 1 ] ||
	    mismatch "run $i configured $(summary '.counts.configured') objects, not 1"
	m=$(kube_stats .mutations)
	muts="$muts $m"
	[ "$m" -eq 1 ] || mismatch "run $i sent $m mutating requests, not 1"
	printf '%s\n' "$(ms "$a" "$(kube_stats .lastMutationNs)")" >>"$dir/applied"
	printf '%s\n' "$(ms "$a" "$b")" >>"$dir/change"
done
p50=$(pctl 50 "$dir/applied") p99=$(pctl 99 "$dir/applied")
printf '%-40s %8s ms p50, %s ms p99 (goals 300 and 1000 ms: %s, %s); mutating requests:%s\n' \
    "one-line image change, push to applied" "$p50" "$p99" \
    "$(verdict "$([ "$p50" -lt 300 ] && echo 1 || echo 0)")" \
    "$(verdict "$([ "$p99" -lt 1000 ] && echo 1 || echo 0)")" "$muts"
printf '%-40s %8s ms p50, %s ms p99\n' "  ... to the end of the pass" \
    "$(pctl 50 "$dir/change")" "$(pctl 99 "$dir/change")"

# each stage's share: the last change again, each stage alone on what the
# one before it wrote
sed -i "0,/^\( *image: [^ ]*\)-b$runs/s//\1/" "$file"
git_q -C "$dir/w" commit -q -a -m "bench: image back"
git_q -C "$dir/w" push -q origin main
st () {	# st NAME IN OUT CMD...: time one stage
	local name=$1 in=$2 out=$3 a b
	shift 3
	a=$(date +%s%N)
	"$@" <"$in" >"$out" 2>>"$dir/err" || true
	b=$(date +%s%N)
	printf '%s %s\n' "$name" "$(ms "$a" "$b")" >>"$dir/stages"
}
: >"$dir/stages"
flags=(--source bench --state-dir "$SLUICE_STATE_DIR")
st git-fetch /dev/null "$dir/1" git-fetch --git-url "$url" \
    --git-branch main "${flags[@]}"
st manifest-gen "$dir/1" "$dir/2" manifest-gen --cache \
    --state-dir "$SLUICE_STATE_DIR"
st kube-apply "$dir/2" "$dir/3" kube-apply --kubeconfig "$KUBECONFIG_FILE" \
    --state-dir "$SLUICE_STATE_DIR"
st gc "$dir/3" "$dir/4" gc --kubeconfig "$KUBECONFIG_FILE" \
    --state-dir "$SLUICE_STATE_DIR"
a=$(date +%s%N)
git-fetch --git-url "$url" --git-branch main "${flags[@]}" \
    --mark-synced "$(git -C "$dir/w" rev-parse HEAD)" >/dev/null 2>&1
printf 'mark-synced %s\n' "$(ms "$a" "$(date +%s%N)")" >>"$dir/stages"
total=$(awk '{ s += $2 } END { print s }' "$dir/stages")
printf '\none-line change, each stage alone (sum %s ms):\n' "$total"
awk -v t="$total" '{ printf "  %-14s %6d ms  %3.0f%%\n", $1, $2,
    (t ? 100 * $2 / t : 0) }' "$dir/stages"
