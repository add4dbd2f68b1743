#!/bin/sh
# git-fetch.sh: the git-fetch benchmark (make bench, after run.sh). It
# builds a source repository in tmpfs (genrepo's 10,000-object tree, then
# a few hundred commits that each change one to three files), cloned bare
# into one pack as a served repository is after gc, and times git-fetch
# against the git command line doing the same work in the same run:
#   first mirror  git-fetch into an empty state dir | git clone --mirror
#   one commit    a commit pushed to the source, then each updates its own
#                 mirror: git-fetch | git fetch --prune
#   no-op         nothing new: git-fetch | git fetch --prune
# over file:// and, when git daemon is installed, git://. Everything is
# timed whole-process by measure, best of 5, the two tools taking turns
# (which goes first alternates), since this VM's speed swings by up to 2x
# from one second to the next. It ends with a table and the goals. Timing
# never fails the run; a wrong commit or fetched count, or a tool failing,
# does (exit 1).
#
# Environment: SLUICE_BUILD (the build tree, set by make), GIT_FETCH (the
# program to measure, default $SLUICE_BUILD/bin/git-fetch), BENCH_OBJECTS
# (default 10000), BENCH_COMMITS (history, default 300), BENCH_SEED
# (default 1), BENCH_RUNS (default 5), BENCH_GIT_DAEMON (1: also git://, if
# git daemon is installed; 0: file:// only).
set -eu

# shellcheck source=common.sh
. "${0%/*}/common.sh"

build=${SLUICE_BUILD:?SLUICE_BUILD must name the build tree}
bin=$build/tests/bench
gf=${GIT_FETCH:-$build/bin/git-fetch}
objects=${BENCH_OBJECTS:-10000}
commits=${BENCH_COMMITS:-300}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-5}
gitd=/usr/lib/git-core/git-daemon

for p in "$bin/genrepo" "$bin/measure" "$gf"; do
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
daemon_pid=
cleanup () {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT





# ---- the source repository ----

# history N: a fast-import stream of N commits on main, each appending a
# line to one to three files of the tree (stdin: the file list)
history () {
	LC_ALL=C awk -v n="$1" -v t=1700000000 -v dir="$dir/work" '
	{ f[nf++] = $0 }
	END {
		for (i = 1; i <= n; i++) {
			msg = "bench: change " i
			printf "commit refs/heads/main\n"
			printf "committer bench <bench@example.invalid> %d +0000\n", t + i
			printf "data %d\n%s\n", length(msg), msg
			if (i == 1)
				printf "from refs/heads/main^0\n"
			for (j = 0; j <= i % 3; j++) {
				p = f[(i * 7919 + j * 104729) % nf]
				if (!(p in c)) {
					s = ""
					while ((getline l < (dir "/" p)) > 0)
						s = s l "\n"
					close(dir "/" p)
					c[p] = s
				}
				c[p] = c[p] "# bench change " i "." j "\n"
				printf "M 100644 inline %s\ndata %d\n%s\n", p,
				    length(c[p]), c[p]
			}
		}
	}'
}

pushed=0
# push: one more commit on the source's main, changing one file
push () {
	pushed=$((pushed + 1))
	p=$(git -C "$dir/src.git" ls-tree -r --name-only main |
	    awk -v k="$pushed" '{ f[NR] = $0 } END { print f[k * 37 % NR + 1] }')
	{ git -C "$dir/src.git" cat-file blob "main:$p"
	  printf '# bench push %s\n' "$pushed"; } >"$dir/blob"
	{ printf 'commit refs/heads/main\n'
	  printf 'committer bench <bench@example.invalid> %s +0000\n' \
	      "$((1800000000 + pushed))"
	  printf 'data 12\nbench: push\n'
	  printf 'from refs/heads/main^0\n'
	  printf 'M 100644 inline %s\ndata %s\n' "$p" \
	      "$(wc -c <"$dir/blob" | tr -d ' ')"
	  cat "$dir/blob"
	  printf '\n'; } | git_q -C "$dir/src.git" fast-import --quiet
	head=$(git -C "$dir/src.git" rev-parse main)
}

# ---- one run of each tool ----

# record NAME: append "wall cpu rss" from $dir/m to $dir/NAME.runs
record () {
	printf '%s %s %s\n' "$(field wall "$dir/m")" "$(field cpu "$dir/m")" \
	    "$(field maxrssMB "$dir/m")" >>"$dir/$1.runs"
}

# gf_run NAME FETCHED: git-fetch on $url into $dir/state.$t; it must
# name $head and say counts.fetched FETCHED
gf_run () {
	"$bin/measure" -o "$dir/out" "$gf" --git-url "$url" --git-branch main \
	    --source src --state-dir "$dir/state.$t" >"$dir/m" 2>"$dir/err" ||
	    fail "git-fetch ($1) exited $(field status "$dir/m")"
	got=$(jq -r 'select(.type == "revision") | .commit' "$dir/out")
	n=$(jq -r 'select(.type == "end") | .counts.fetched' "$dir/out")
	if [ "$got" != "$head" ] || [ "$n" != "$2" ]; then
		fail "git-fetch ($1) said commit $got, fetched $n; expected $head, $2"
	fi
	record "$1.gf"
}

# git_run NAME ARGS...: git ARGS; the mirror $dir/git.$t must then have
# main at $head
git_run () {
	name=$1
	shift
	"$bin/measure" git -c gc.auto=0 -c maintenance.auto=false "$@" \
	    >"$dir/m" 2>"$dir/err" ||
	    fail "git ($name) exited $(field status "$dir/m")"
	got=$(git -C "$dir/git.$t" rev-parse main)
	[ "$got" = "$head" ] || fail "git ($name): main at $got, not $head"
	record "$name.git"
}

first_gf () {
	rm -rf "$dir/state.$t"
	gf_run "first.$t" 1
}
first_git () {
	rm -rf "$dir/git.$t"
	git_run "first.$t" clone -q --mirror "$url" "$dir/git.$t"
}
one_gf () {
	gf_run "one.$t" 1
}
one_git () {
	git_run "one.$t" -C "$dir/git.$t" fetch -q --prune --no-write-fetch-head
}
noop_gf () {
	gf_run "noop.$t" 0
}
noop_git () {
	git_run "noop.$t" -C "$dir/git.$t" fetch -q --prune --no-write-fetch-head
}

# bench CASE: $runs pairs of CASE_gf and CASE_git, taking turns at going
# first; "one" pushes a commit before each pair
bench () {
	: >"$dir/$1.$t.gf.runs"
	: >"$dir/$1.$t.git.runs"
	i=0
	while [ "$i" -lt "$runs" ]; do
		i=$((i + 1))
		[ "$1" != one ] || push
		if [ $((i % 2)) -eq 1 ]; then
			"$1_gf"
			"$1_git"
		else
			"$1_git"
			"$1_gf"
		fi
	done
}

# best NAME: the best wall time with its CPU time, and the highest RSS
best () {
	awk 'NR == 1 || $1 < w { w = $1; c = $2 }
	    $3 > r { r = $3 }
	    END { print w, c, r }' "$dir/$1.runs"
}

# ---- git daemon, for git:// ----

start_daemon () {
	try=0
	while [ "$try" -lt 3 ]; do
		try=$((try + 1))
		port=$(awk -v s="$$$try" 'BEGIN { srand(s); print 20000 + int(rand() * 40000) }')
		"$gitd" --verbose --listen=127.0.0.1 --port="$port" --reuseaddr \
		    --base-path="$dir" --export-all "$dir" >"$dir/gitd.log" 2>&1 &
		daemon_pid=$!
		i=0
		while [ "$i" -lt 250 ]; do
			if grep -q 'Ready to rumble' "$dir/gitd.log"; then
				return 0
			fi
			kill -0 "$daemon_pid" 2>/dev/null || break
			i=$((i + 1))
			sleep 0.02
		done
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
		daemon_pid=
	done
	return 1
}

# ---- the run ----

printf 'sluice git-fetch benchmark\n'
printf 'machine: %s CPUs, %s, %s\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(uname -sr)"
printf '%s, %s\n' "$(git --version)" "$(pkg-config --modversion libgit2 \
    2>/dev/null | sed 's/^/libgit2 /' || true)"
printf 'tmpfs: %s, seed %s, best of %s runs, MB = 2^20 bytes\n' \
    "$dir" "$seed" "$runs"
printf 'git-fetch: %s\n' "$gf"

"$bin/genrepo" -n "$objects" -s "$seed" "$dir/work" >"$dir/gen"
git_q init -q -b main "$dir/work"
git_q -C "$dir/work" add -A
git_q -C "$dir/work" commit -q -m "bench: $objects objects"
git -C "$dir/work" ls-files | history "$commits" |
    git_q -C "$dir/work" fast-import --quiet
# served as after gc: bare, one pack
git_q clone -q --bare --no-local "$dir/work" "$dir/src.git"
rm -rf "$dir/work"
head=$(git -C "$dir/src.git" rev-parse main)
printf 'source: %s objects, %s files, %s commits, %s objects in a %s KB pack\n' \
    "$objects" "$(field files "$dir/gen")" \
    "$(git -C "$dir/src.git" rev-list --count main)" \
    "$(git -C "$dir/src.git" count-objects -v | sed -n 's/^in-pack: //p')" \
    "$(git -C "$dir/src.git" count-objects -v | sed -n 's/^size-pack: //p')"

transports="file"
if [ "${BENCH_GIT_DAEMON:-1}" != 0 ] && [ -x "$gitd" ]; then
	if start_daemon; then
		transports="file git"
	else
		printf 'git://: not measured (git daemon did not start)\n'
	fi
fi

for t in $transports; do
	case $t in
	file) url=file://$dir/src.git ;;
	git) url=git://127.0.0.1:$port/src.git ;;
	esac
	bench first
	bench one
	bench noop
done

# the floor under a no-op: exec, the dynamic loader and nothing else
: >"$dir/help.runs"
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	"$bin/measure" "$gf" --help >"$dir/m" 2>/dev/null || true
	record help
done

# row LABEL NAME MAX-WALL MAX-RATIO: one line of the table; MAX-WALL 0
# means no goal for the wall time
row () {
	best "$2.gf" >"$dir/b"
	read -r w c r <"$dir/b"
	best "$2.git" >"$dir/b"
	read -r gw gc _ <"$dir/b"
	ratio=$(calc "$w / $gw")
	if [ "$3" = 0 ]; then
		goal=$(printf '<= %.1fx git' "$4")
		ok=$(calc "$ratio <= $4")
	else
		goal=$(printf '< %.0f ms, <= %.1fx' "$(calc "$3 * 1000")" "$4")
		ok=$(calc "$w < $3 && $ratio <= $4")
	fi
	printf '%-20s %8.1f %8.1f %7.1f %8.1f %8.1f %6.2f  %-18s %s\n' \
	    "$1" "$(calc "$w * 1000")" "$(calc "$c * 1000")" "$r" \
	    "$(calc "$gw * 1000")" "$(calc "$gc * 1000")" "$ratio" "$goal" \
	    "$(verdict "$ok")"
}

printf '\n%-20s %8s %8s %7s %8s %8s %6s  %-18s %s\n' case "wall ms" \
    "CPU ms" "RSS MB" "git ms" "git CPU" ratio goal ""
# the time goals are for file://; over git:// the wall time includes the
# server (git daemon forking upload-pack), so only the ratio is a goal
for t in $transports; do
	one=0.050 noop=0.020
	[ "$t" = file ] || one=0 noop=0
	row "first mirror $t://" "first.$t" 0 2
	row "one commit $t://" "one.$t" "$one" 1.2
	row "no-op $t://" "noop.$t" "$noop" 1.2
done
best help >"$dir/b"
read -r w c r <"$dir/b"
printf '%-20s %8.1f %8.1f %7.1f\n' "git-fetch --help" "$(calc "$w * 1000")" \
    "$(calc "$c * 1000")" "$r"
printf '(wall, CPU, RSS: git-fetch; git ms, git CPU: git clone --mirror or\n'
printf ' git fetch --prune, CPU with its children (upload-pack for file://);\n'
printf ' ratio: git-fetch wall over git wall; best of %s, RSS the highest;\n' \
    "$runs"
printf ' git-fetch --help: exec and dynamic loading, no libgit2 init;\n'
printf ' git:// times include the server, git daemon, for both tools)\n'
