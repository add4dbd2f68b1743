#!/bin/sh
# run.sh: the manifest-gen benchmark (make bench). For 1,000, 3,000 and
# 10,000 objects it generates a repository (genrepo), commits it, and runs
# manifest-gen cold on a revision record naming a bare clone, best of 5; it
# checks that exactly one object record per object came out, and sets the
# speed against a bare libyaml parse of the same bytes (yamlparse). It ends
# with the goals from DESIGN.md's cost discipline. Timing never fails the
# run; a wrong object count, or manifest-gen failing, does (exit 1).
#
# Environment: SLUICE_BUILD (the build tree, set by make), MANIFEST_GEN
# (the program to measure, default $SLUICE_BUILD/bin/manifest-gen),
# BENCH_SIZES (default "1000 3000 10000"), BENCH_SEED (default 1),
# BENCH_RUNS (default 5).
#
# This machine is a VM whose speed swings by up to 2x from one second to
# the next, so each manifest-gen run is followed by a bare libyaml run over
# the same bytes, and the best of each is kept: the ratio then compares
# the two under the same conditions.
set -eu

# shellcheck source=common.sh
. "${0%/*}/common.sh"

build=${SLUICE_BUILD:?SLUICE_BUILD must name the build tree}
bin=$build/tests/bench
gen=${MANIFEST_GEN:-$build/bin/manifest-gen}
sizes=${BENCH_SIZES:-1000 3000 10000}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-5}

for p in "$bin/genrepo" "$bin/yamlparse" "$bin/measure" "$gen"; do
	if [ ! -x "$p" ]; then
		printf 'bench: cannot find %s (make all and the bench tools first)\n' \
		    "$p" >&2
		exit 1
	fi
done

# tmpfs, so the disk is not what is measured (DESIGN.md, cost discipline)
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
dir=$(mktemp -d "$shm/sluice-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT




# show_errors OUT: the first error records manifest-gen wrote, if any
show_errors () {
	grep '^{"type":"error"' "$1" | head -n 5 >&2 || true
}

# measure_best NAME OUT YAML ARGS...: run "measure ARGS" $runs times, each
# followed by a bare libyaml parse of the folder YAML; check each output OUT
# has the expected number of object records; write the best wall time with
# its CPU time, and the highest RSS, to $dir/NAME, and the best libyaml run
# to $dir/NAME.yaml
measure_best () {
	name=$1 out=$2 yaml=$3
	shift 3
	: >"$dir/$name.runs"
	: >"$dir/$name.yamlruns"
	i=0
	while [ "$i" -lt "$runs" ]; do
		i=$((i + 1))
		# cold: a fresh process with an empty state directory each time
		rm -rf "$dir/state"
		mkdir "$dir/state"
		SLUICE_STATE_DIR=$dir/state "$bin/measure" -o "$out" "$@" \
		    >"$dir/m" && rc=0 || rc=$?
		if [ "$rc" -ne 0 ]; then
			printf 'bench: FAILED: manifest-gen (%s) exited %s (%s objects)\n' \
			    "$name" "$rc" "$n" >&2
			show_errors "$out"
			exit 1
		fi
		got=$(grep -c '^{"type":"object"' "$out" || true)
		if [ "$got" -ne "$n" ]; then
			printf '\nbench: MISMATCH: manifest-gen (%s) wrote %s object records for %s objects\n' \
			    "$name" "$got" "$n" >&2
			printf 'bench: MISMATCH: the benchmark is broken, not slow\n' >&2
			show_errors "$out"
			exit 1
		fi
		printf '%s %s %s\n' "$(field wall "$dir/m")" \
		    "$(field cpu "$dir/m")" "$(field maxrssMB "$dir/m")" \
		    >>"$dir/$name.runs"
		"$bin/yamlparse" -r 1 "$yaml" >>"$dir/$name.yamlruns"
	done
	awk '{ for (i = 1; i <= NF; i++) if (index($i, "MBps=") == 1)
		v = substr($i, 6) + 0 }
	    NR == 1 || v > best { best = v; line = $0 }
	    END { print line }' "$dir/$name.yamlruns" >"$dir/$name.yaml"
	awk 'NR == 1 || $1 < w { w = $1; c = $2 }
	    $3 > r { r = $3 }
	    END { print w, c, r }' "$dir/$name.runs" >"$dir/$name"
}

# row LABEL OBJECTS BYTES BEST-FILE BARE-MBPS: one line of the table
row () {
	read -r wall cpu rss <"$4"
	awk -v l="$1" -v n="$2" -v b="$3" -v w="$wall" -v c="$cpu" \
	    -v r="$rss" -v y="$5" 'BEGIN {
		mb = b / 1048576
		printf "%-14s %8.2f %7.3f %7.3f %10.0f %7.1f %7.1f %9.1f %6.0f%%\n",
		    l, mb, w, c, n / w, mb / w, r, y, 100 * mb / w / y
	}'
}

printf 'sluice manifest-gen benchmark\n'
printf 'machine: %s CPUs, %s, %s\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(uname -sr)"
printf 'tmpfs: %s, seed %s, best of %s runs, MB = 2^20 bytes\n' \
    "$dir" "$seed" "$runs"
printf 'manifest-gen: %s\n' "$gen"

for n in $sizes; do
	repo=$dir/r$n
	"$bin/genrepo" -n "$n" -s "$seed" "$repo" >"$dir/gen.$n"
	git_q init -q -b main "$repo"
	git_q -C "$repo" add -A
	git_q -C "$repo" commit -q -m "bench: $n objects"
	sha=$(git -C "$repo" rev-parse HEAD)
	# a bare mirror holding one pack, as git-fetch leaves it
	git_q clone -q --bare --no-local "$repo" "$repo.git"
	jq -nc --arg commit "$sha" --arg gitdir "$repo.git" '{
		type: "revision", source: "bench", url: "file:///bench",
		branch: "main", commit: $commit, synced: null,
		gitDir: $gitdir, paths: [], syncSet: "x"
	}' >"$dir/rev.ndjson"
	printf 'repo %s: %s files, %s bytes of YAML; charts: %s files\n' \
	    "$n" "$(field files "$dir/gen.$n")" "$(field bytes "$dir/gen.$n")" \
	    "$(field chartFiles "$dir/gen.$n")"

	measure_best "git.$n" "$dir/out.ndjson" "$repo" \
	    -i "$dir/rev.ndjson" "$gen"
	cp "$dir/git.$n.yaml" "$dir/yaml.$n"
	if [ "$(field bytes "$dir/yaml.$n")" != "$(field bytes "$dir/gen.$n")" ]
	then
		printf 'bench: yamlparse read %s bytes, genrepo wrote %s\n' \
		    "$(field bytes "$dir/yaml.$n")" \
		    "$(field bytes "$dir/gen.$n")" >&2
		exit 1
	fi
	last=$n
done

# the same, but reading files from a worktree instead of the object store
n=$last
measure_best "dir.$n" "$dir/out.ndjson" "$dir/r$n" \
    -i /dev/null "$gen" --dir "$dir/r$n"

printf '\nlibyaml %s\n' "$(field libyaml "$dir/yaml.$last")"
printf '%-14s %8s %7s %7s %10s %7s %7s %9s %7s\n' objects "YAML MB" \
    "wall s" "CPU s" objects/s MB/s "RSS MB" "libyaml" ratio
for n in $sizes; do
	row "$n" "$n" "$(field bytes "$dir/gen.$n")" "$dir/git.$n" \
	    "$(field MBps "$dir/yaml.$n")"
done
row "$last --dir" "$last" "$(field bytes "$dir/gen.$last")" \
    "$dir/dir.$last" "$(field MBps "$dir/dir.$last.yaml")"
printf '(libyaml: a bare event parse of the same bytes, read into memory first,\n'
printf ' run after each manifest-gen run; best of each;\n'
printf ' ratio: manifest-gen MB/s over libyaml MB/s; RSS: the highest of the runs)\n'

# goals: the largest size against the one before it
prev=
for n in $sizes; do
	[ "$n" = "$last" ] || prev=$n
done
read -r wall cpu rss <"$dir/git.$last"
mbps=$(calc "$(field bytes "$dir/gen.$last") / 1048576 / $wall")
ratio=$(calc "100 * $mbps / $(field MBps "$dir/yaml.$last")")
printf '\ngoals (%s objects):\n' "$last"
if [ -n "$prev" ]; then
	read -r pwall _ <"$dir/git.$prev"
	scale=$(calc "$wall / $pwall")
	goal=$(calc "1.08 * $last / $prev")
	printf '  wall %s/%s  %.2f (linear %.2f, goal <= %.2f)  %s\n' \
	    "$last" "$prev" "$scale" "$(calc "$last / $prev")" "$goal" \
	    "$(verdict "$(calc "$scale <= $goal")")"
fi
printf '  wall          %.3f s (goal < 1 s)  %s\n' "$wall" \
    "$(verdict "$(calc "$wall < 1")")"
printf '  ratio         %.0f%% of bare libyaml (goal >= 50%%)  %s\n' \
    "$ratio" "$(verdict "$(calc "$ratio >= 50")")"
printf '  peak RSS      %.1f MB (goal < 64 MB)  %s\n' "$rss" \
    "$(verdict "$(calc "$rss < 64")")"
printf '  CPU           %.3f s\n' "$cpu"

# Instructions, counted by callgrind: unlike time on this VM, the same on
# every run, so the ratio to bare libyaml can be compared from run to run.
# About a minute for 10,000 objects; BENCH_CALLGRIND=0 skips it.
instructions () {	# instructions ARGS...: callgrind's total for one run
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" \
	    2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
if [ "${BENCH_CALLGRIND:-1}" = 0 ]; then
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	printf '\ninstructions: not counted (valgrind is not installed)\n'
	exit 0
fi
mg=$(instructions "$gen" <"$dir/rev.ndjson")
yp=$(instructions "$bin/yamlparse" -r 1 "$dir/r$last")
printf '\ninstructions (%s objects, callgrind, the same on every run):\n' \
    "$last"
printf '  manifest-gen  %s\n  bare libyaml  %s (reading the files included)\n' \
    "$mg" "$yp"
printf '  ratio         %.0f%% (goal >= 50%%)  %s\n' "$(calc "100 * $yp / $mg")" \
    "$(verdict "$(calc "100 * $yp / $mg >= 50")")"
