#!/bin/sh
# kube-apply.sh: the kube-apply and gc benchmark (make bench, after
# git-fetch.sh). It generates genrepo's 10,000-object repository, commits
# it, renders it once with manifest-gen, and applies it to the stand-in API
# server (tests/servers/kube-apiserver.py, started in tmpfs):
#   first apply     kube-apply on an empty cluster, and, on the same
#                   objects against the same server (emptied first),
#                   kubectl apply --server-side -R -f DIR
#   no change       kube-apply again: nothing may be sent (best of $runs)
#   1% changed      100 ConfigMaps edited and committed: exactly 100 sent
#   --full          every object sent again
#   prune           1,000 objects removed from the repository: gc after
#                   kube-apply, with the inventory of an earlier pass;
#                   first gc --dry-run on the same stream (the plan: list
#                   and decide, delete nothing), then gc itself
# Each run is timed whole-process by measure (wall, CPU, peak RSS); the
# server's request counters (reads, mutations) come from its /_test/stats
# and its own CPU time from /proc/PID/stat. It ends with a table and the
# goals. Timing never fails the run; a wrong count (created, unchanged,
# configured, deleted, mutating requests), or a tool failing, does
# (exit 1).
#
# Environment: SLUICE_BUILD (the build tree, set by make), KUBE_APPLY and
# GC (the programs to measure, default $SLUICE_BUILD/bin/...), KUBECTL
# (default kubectl; BENCH_KUBECTL=0 skips it), BENCH_OBJECTS (default
# 10000; the changed and removed counts are 1% and 10% of it), BENCH_SEED
# (default 1), BENCH_RUNS (no-change runs, default 3).
set -eu

# shellcheck source=common.sh
. "${0%/*}/common.sh"

build=${SLUICE_BUILD:?SLUICE_BUILD must name the build tree}
bin=$build/tests/bench
ka=${KUBE_APPLY:-$build/bin/kube-apply}
gc=${GC:-$build/bin/gc}
mg=$build/bin/manifest-gen
kubectl=${KUBECTL:-kubectl}
objects=${BENCH_OBJECTS:-10000}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-3}
changed=$((objects / 100))
removed=$((objects / 10))
here=$(cd "$(dirname "$0")/../servers" && pwd)

for p in "$bin/genrepo" "$bin/measure" "$ka" "$gc" "$mg"; do
	if [ ! -x "$p" ]; then
		printf 'bench: cannot find %s (make all and the bench tools first)\n' \
		    "$p" >&2
		exit 1
	fi
done
for p in bash python3 openssl curl jq; do
	if ! command -v "$p" >/dev/null 2>&1; then
		printf 'kube-apply bench: not run (%s is not installed)\n' "$p"
		exit 0
	fi
done
use_kubectl=${BENCH_KUBECTL:-1}
if [ "$use_kubectl" != 0 ] && ! command -v "$kubectl" >/dev/null 2>&1; then
	use_kubectl=0
fi

# tmpfs, so the disk is not what is measured (DESIGN.md, cost discipline)
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
dir=$(mktemp -d "$shm/sluice-bench.XXXXXX")
server_pid=
cleanup () {
	# the server, by the pid it was started with, and only if it is ours
	if [ -n "$server_pid" ]; then
		case "$(ps -o args= -p "$server_pid" 2>/dev/null)" in
		*kube-apiserver.py*)
			kill "$server_pid" 2>/dev/null || true
			i=0
			while [ "$i" -lt 100 ] && kill -0 "$server_pid" 2>/dev/null
			do
				i=$((i + 1))
				sleep 0.03
			done
			kill -9 "$server_pid" 2>/dev/null || true
			;;
		esac
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT






# ---- the repository and its renderings ----

repo=$dir/repo
# render NAME: manifest-gen on the repository's HEAD into $dir/NAME.ndjson;
# it must hold WANT object records
render () {
	jq -nc --arg commit "$(git -C "$repo" rev-parse HEAD)" \
	    --arg gitdir "$repo/.git" '{
		type: "revision", source: "bench", url: "file:///bench",
		branch: "main", commit: $commit, synced: null,
		gitDir: $gitdir, paths: [], syncSet: "bench"
	}' >"$dir/rev.ndjson"
	"$mg" <"$dir/rev.ndjson" >"$dir/$1.ndjson" 2>"$dir/err" ||
	    fail "manifest-gen ($1)"
	got=$(grep -c '^{"type":"object"' "$dir/$1.ndjson" || true)
	[ "$got" -eq "$2" ] ||
	    mismatch "manifest-gen ($1) wrote $got object records, not $2"
}

# single_files NAME [KIND]: the files of rendering NAME that hold exactly
# one object, of KIND, or of any kind but Namespace; sorted
single_files () {
	jq -r 'select(.type == "object") | [.file, .object.kind] | @tsv' \
	    "$dir/$1.ndjson" | LC_ALL=C sort |
	    awk -F '\t' -v k="${2:-}" '
	    { n[$1]++; kind[$1] = $2 }
	    END {
		for (f in n)
			if (n[f] == 1 && (kind[f] == k ||
			    (k == "" && kind[f] != "Namespace")))
				print f
	    }' | LC_ALL=C sort
}

# ---- the API server ----

# The stand-in server, started by its bats helper (bash) exactly as the
# tests start it; it writes its pid to $dir/kube/pid and keeps running
# after that bash exits.
start_server () {
	# shellcheck disable=SC2016 # $1 and $2 are bash's, not ours
	bash -c '. "$1/kube-servers.bash" && start_kube_apiserver "$2" &&
	    printf "%s\n" "$KUBE_URL" "$KUBE_CA"' sh "$here" "$dir/kube" \
	    >"$dir/kube.env" 2>"$dir/err" || fail "the API server did not start"
	server_pid=$(cat "$dir/kube/pid")
	kube_url=$(sed -n 1p "$dir/kube.env")
	kube_ca=$(sed -n 2p "$dir/kube.env")
	kubeconfig=$dir/kube/kubeconfig
}

# ctl METHOD PATH: a /_test/ control request; prints the answer
ctl () {
	curl -sS -f --cacert "$kube_ca" -X "$1" "$kube_url$2"
}

# server_ticks: the server's CPU time so far, in clock ticks
server_ticks () {
	awk '{ print $14 + $15 }' "/proc/$server_pid/stat"
}
hz=$(getconf CLK_TCK)

# ---- one timed run ----

# run NAME ARGS...: measure ARGS (stdin $in, stdout $dir/NAME.out) with the
# server's counters zeroed first; writes $dir/NAME (wall cpu rss) and
# $dir/NAME.stats (the counters, plus serverCPU in seconds)
run () {
	name=$1
	shift
	ctl POST /_test/stats/reset >/dev/null
	t0=$(server_ticks)
	"$bin/measure" -i "$in" -o "$dir/$name.out" "$@" >"$dir/m" \
	    2>"$dir/err" && rc=0 || rc=$?
	t1=$(server_ticks)
	[ "$rc" -eq 0 ] || fail "$name: $1 exited $rc"
	ctl GET /_test/stats |
	    jq -c --argjson cpu "$(calc "($t1 - $t0) / $hz")" \
	    '. + {serverCPU: $cpu}' >"$dir/$name.stats"
	printf '%s %s %s\n' "$(field wall "$dir/m")" "$(field cpu "$dir/m")" \
	    "$(field maxrssMB "$dir/m")" >"$dir/$name"
}

# counter NAME FILTER: a number from the counters of run NAME
counter () {
	jq -r "$2 // 0" "$dir/$1.stats"
}

# counts NAME: kube-apply's end-record counts of run NAME, "c u f s x"
# (created configured unchanged skipped failed)
counts () {
	jq -r 'select(.type == "end" and .stage == "kube-apply") | .counts |
	    "\(.created) \(.configured) \(.unchanged) \(.skipped) \(.failed)"' \
	    "$dir/$1.out"
}

# expect_apply NAME CREATED CONFIGURED UNCHANGED MUTATIONS
expect_apply () {
	want="$2 $3 $4 0 0"
	got=$(counts "$1")
	[ "$got" = "$want" ] || mismatch "kube-apply ($1): created configured unchanged skipped failed = $got, expected $want"
	# the applied records say the same as the end record
	n=$(grep -c '^{"type":"applied"' "$dir/$1.out" || true)
	[ "$n" -eq "$objects_now" ] ||
	    mismatch "kube-apply ($1): $n applied records for $objects_now objects"
	m=$(counter "$1" .mutations)
	[ "$m" -eq "$5" ] ||
	    mismatch "kube-apply ($1): $m mutating requests, expected $5"
}

# ---- the run ----

printf 'sluice kube-apply benchmark\n'
printf 'machine: %s CPUs, %s, %s\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(uname -sr)"
printf 'server: tests/servers/kube-apiserver.py (%s), tmpfs %s, seed %s\n' \
    "$(python3 --version 2>&1)" "$dir" "$seed"
printf 'kube-apply: %s (--concurrency 16, the default)\n' "$ka"

"$bin/genrepo" -n "$objects" -s "$seed" "$repo" >"$dir/gen"
git_q init -q -b main "$repo"
git_q -C "$repo" add -A
git_q -C "$repo" commit -q -m "bench: $objects objects"
objects_now=$objects
render r1 "$objects"
start_server

# kubectl's input: the same objects as manifest-gen read them from Git,
# the Namespaces in the first file (kubectl applies in file order and does
# not sort by kind); JSON is YAML
mkdir "$dir/kubectl-in"
jq -c 'select(.type == "object" and .object.kind == "Namespace") | .object' \
    "$dir/r1.ndjson" |
    awk '{ print "---"; print }' >"$dir/kubectl-in/00-namespaces.yaml"
jq -c 'select(.type == "object" and .object.kind != "Namespace") | .object' \
    "$dir/r1.ndjson" |
    awk '{ print "---"; print }' >"$dir/kubectl-in/10-objects.yaml"

# 1. first apply: kubectl, then (the cluster emptied) kube-apply
if [ "$use_kubectl" != 0 ]; then
	printf 'kubectl: %s\n' "$("$kubectl" version --client 2>/dev/null |
	    sed -n 's/^Client Version: //p')"
	ctl POST /_test/reset >/dev/null
	in=/dev/null
	run kubectl "$kubectl" --kubeconfig "$kubeconfig" apply \
	    --server-side -R -f "$dir/kubectl-in"
	n=$(grep -c 'serverside-applied$' "$dir/kubectl.out" || true)
	[ "$n" -eq "$objects" ] ||
	    mismatch "kubectl said serverside-applied $n times for $objects objects"
	m=$(counter kubectl .mutations)
	[ "$m" -eq "$objects" ] ||
	    mismatch "kubectl sent $m mutating requests for $objects objects"
fi
ctl POST /_test/reset >/dev/null
in=$dir/r1.ndjson
run first "$ka" --kubeconfig "$kubeconfig"
expect_apply first "$objects" 0 0 "$objects"

# 2. nothing changed: best of $runs, each sending nothing
: >"$dir/noop.runs"
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	run noop "$ka" --kubeconfig "$kubeconfig"
	expect_apply noop 0 0 "$objects" 0
	cat "$dir/noop" >>"$dir/noop.runs"
	cp "$dir/noop.stats" "$dir/noop.$i.stats"
done
awk 'NR == 1 || $1 < w { w = $1; c = $2; k = NR }
    $3 > r { r = $3 }
    END { print w, c, r; print k >"/dev/stderr" }' "$dir/noop.runs" \
    >"$dir/noop" 2>"$dir/noop.best"
cp "$dir/noop.$(cat "$dir/noop.best").stats" "$dir/noop.stats"

# 3. 1% changed: one value in $changed ConfigMaps that are alone in their
# file; exactly those objects must differ after rendering
single_files r1 ConfigMap >"$dir/cm-files"
: >"$dir/changed"
while read -r f; do
	[ "$(wc -l <"$dir/changed")" -lt "$changed" ] || break
	grep -q '^  setting\.0: ' "$repo/$f" || continue
	sed 's/^  setting\.0: .*/  setting.0: "bench-changed"/' "$repo/$f" \
	    >"$dir/f" && cat "$dir/f" >"$repo/$f"
	printf '%s\n' "$f" >>"$dir/changed"
done <"$dir/cm-files"
git_q -C "$repo" commit -q -a -m "bench: $changed ConfigMaps changed"
render r3 "$objects"
jq -c 'select(.type == "object") | [.id, .object]' "$dir/r1.ndjson" \
    >"$dir/o1"
jq -c 'select(.type == "object") | [.id, .object]' "$dir/r3.ndjson" \
    >"$dir/o3"
n=$(LC_ALL=C sort "$dir/o1" "$dir/o3" | uniq -u | wc -l)
[ "$n" -eq $((2 * changed)) ] ||
    mismatch "$n object versions differ after changing $changed ConfigMaps"
in=$dir/r3.ndjson
run changed "$ka" --kubeconfig "$kubeconfig"
expect_apply changed 0 "$changed" $((objects - changed)) "$changed"

# 4. --full: every object sent, none of them changed by it
run full "$ka" --kubeconfig "$kubeconfig" --full
expect_apply full 0 0 "$objects" "$objects"

# 5. prune: the last full pass gives gc its inventory (nothing to delete);
# then $removed objects, each alone in its file, go from the repository
in=$dir/full.out
run inventory "$gc" --kubeconfig "$kubeconfig" --state-dir "$dir/state"
n=$(grep -c '^{"type":"deleted"' "$dir/inventory.out" || true)
[ "$n" -eq 0 ] || mismatch "gc deleted $n objects when all are in Git"
[ -s "$dir/state/bench/inventory" ] || fail "gc wrote no inventory"
# the plan alone: gc --dry-run over the same full pass, with the inventory
# now; it lists, decides that nothing goes, and sends nothing else
run plan0 "$gc" --kubeconfig "$kubeconfig" --state-dir "$dir/state" --dry-run
n=$(grep -c '^{"type":"deleted"' "$dir/plan0.out" || true)
[ "$n" -eq 0 ] || mismatch "gc --dry-run would delete $n objects, all in Git"
[ "$(counter plan0 .mutations)" -eq 0 ] ||
    mismatch "gc --dry-run sent $(counter plan0 .mutations) mutating requests with nothing to delete"
single_files r3 | head -n "$removed" >"$dir/removed"
[ "$(wc -l <"$dir/removed")" -eq "$removed" ] ||
    fail "fewer than $removed single-object files to remove"
(cd "$repo" && xargs git rm -q --) <"$dir/removed"
git_q -C "$repo" commit -q -m "bench: $removed objects removed"
objects_now=$((objects - removed))
render r5 "$objects_now"
in=$dir/r5.ndjson
run prune-apply "$ka" --kubeconfig "$kubeconfig"
expect_apply prune-apply 0 0 "$objects_now" 0
in=$dir/prune-apply.out
run plan "$gc" --kubeconfig "$kubeconfig" --state-dir "$dir/state" --dry-run
n=$(jq -r 'select(.type == "deleted" and .dryRun) | .id' "$dir/plan.out" |
    wc -l)
[ "$n" -eq "$removed" ] ||
    mismatch "gc --dry-run would delete $n objects, expected $removed"
# gc --dry-run asks the server to dry-run each DELETE (dryRun=All): the
# server counts them as mutations, and changes nothing
if [ "$(counter plan .mutations)" -ne "$removed" ] ||
    [ "$(counter plan .dryRun)" -ne "$removed" ]; then
	mismatch "gc --dry-run sent $(counter plan .mutations) mutating requests, $(counter plan .dryRun) of them dry runs; expected $removed dry-run DELETEs"
fi
run prune "$gc" --kubeconfig "$kubeconfig" --state-dir "$dir/state"
n=$(jq -r 'select(.type == "deleted" and (.dryRun | not)) | .id' \
    "$dir/prune.out" | wc -l)
[ "$n" -eq "$removed" ] ||
    mismatch "gc deleted $n objects, expected $removed"
# exactly the removed files' objects went
jq -r 'select(.type == "deleted") | .id' "$dir/prune.out" | LC_ALL=C sort \
    >"$dir/deleted.ids"
jq -r 'select(.type == "object") | .file + "\t" + .id' "$dir/r3.ndjson" |
    awk -F '\t' 'NR == FNR { gone[$0] = 1; next } ($1 in gone) { print $2 }' \
    "$dir/removed" - | LC_ALL=C sort >"$dir/removed.ids"
cmp -s "$dir/deleted.ids" "$dir/removed.ids" ||
    mismatch "gc deleted other objects than the $removed removed from Git"
[ "$(counter prune .verbs.delete)" -eq "$removed" ] ||
    mismatch "gc sent $(counter prune .verbs.delete) DELETEs for $removed objects"

# ---- the table ----

# row LABEL NAME OBJECTS: one line of the table
row () {
	read -r w c r <"$dir/$2"
	printf '%-22s %6s %8.2f %7.2f %7.1f %9.0f %6s %9s %8.2f\n' "$1" "$3" \
	    "$w" "$c" "$r" "$(calc "$3 / $w")" "$(counter "$2" .reads)" \
	    "$(counter "$2" .mutations)" "$(counter "$2" .serverCPU)"
}
printf '\n%-22s %6s %8s %7s %7s %9s %6s %9s %8s\n' case objects "wall s" \
    "CPU s" "RSS MB" objects/s reads mutations "srv CPU"
[ "$use_kubectl" = 0 ] || row "kubectl first apply" kubectl "$objects"
row "first apply" first "$objects"
row "no change (best of $runs)" noop "$objects"
row "1% changed" changed "$objects"
row "--full" full "$objects"
row "after removing $removed" prune-apply "$objects_now"
row "gc: inventory pass" inventory "$objects"
row "gc --dry-run: 0 to go" plan0 "$objects"
row "gc --dry-run: $removed to go" plan "$removed"
row "gc: prune" prune "$removed"
printf '(wall, CPU, RSS: the tool, whole process; reads, mutations: requests\n'
printf ' the server counted (lists and gets; patches, deletes...); srv CPU: the\n'
printf ' server'\''s own CPU in that time, a Python process; gc rows: objects/s\n'
printf ' is objects deleted (or planned) per second)\n'

printf '\nrequests by verb:\n'
for n in kubectl first noop changed full inventory plan0 plan prune; do
	[ -f "$dir/$n.stats" ] || continue
	printf '  %-10s %s\n' "$n" "$(jq -c .verbs "$dir/$n.stats")"
done

read -r fw _ _ <"$dir/first"
read -r nw _ _ <"$dir/noop"
read -r pw _ _ <"$dir/plan"
rss=0
for n in first noop changed full prune-apply inventory plan0 plan prune; do
	read -r _ _ r <"$dir/$n"
	rss=$(calc "$r > $rss ? $r : $rss")
done
printf '\ngoals (%s objects):\n' "$objects"
if [ "$use_kubectl" != 0 ]; then
	read -r kw _ _ <"$dir/kubectl"
	ratio=$(calc "$kw / $fw")
	printf '  first apply   %.0f objects/s, kubectl %.0f objects/s: %.2fx (goal >= 5x)  %s\n' \
	    "$(calc "$objects / $fw")" "$(calc "$objects / $kw")" "$ratio" \
	    "$(verdict "$(calc "$ratio >= 5")")"
else
	printf '  first apply   %.0f objects/s (kubectl not run)\n' \
	    "$(calc "$objects / $fw")"
fi
printf '  no change     %.3f s, %s mutating requests (goal < 1 s, 0)  %s\n' \
    "$nw" "$(counter noop .mutations)" "$(verdict "$(calc "$nw < 1")")"
printf '  1%% changed    %s mutating requests (goal %s)  met\n' \
    "$(counter changed .mutations)" "$changed"
read -r p0w _ _ <"$dir/plan0"
printf '  prune plan    %.1f ms for gc --dry-run with nothing to go, %s list requests (goal < 50 ms)  %s\n' \
    "$(calc "$p0w * 1000")" "$(counter plan0 .verbs.list)" \
    "$(verdict "$(calc "$p0w < 0.050")")"
printf '                %.1f ms with %s to go (%s lists, %s dry-run DELETEs)\n' \
    "$(calc "$pw * 1000")" "$removed" "$(counter plan .verbs.list)" \
    "$(counter plan .dryRun)"
printf '                (the whole process: exec, kubeconfig and TLS set-up, reading\n'
printf '                 the stream, the list round trips over the inventory'\''s kinds)\n'
printf '  peak RSS      %.1f MB, the highest of the kube-apply and gc runs (goal < 64 MB)  %s\n' \
    "$rss" "$(verdict "$(calc "$rss < 64")")"
