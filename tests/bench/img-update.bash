#!/bin/bash
# img-update.bash: the img-update benchmark (make bench, after
# img-scan.bash). In tmpfs it commits genrepo's 10,000-object repository
# plus 1,000 automated Deployments, one a file (bench/auto/), and one
# 2 MB file of 1,000 Deployments of which the last is automated
# (bench/big.yaml), serves it from a bare repository, mirrors it with
# git-fetch and renders it once with manifest-gen. Image records (one per
# automated workload's application image, as img-scan writes them) are
# added with a newer tag for the cases' images only:
#   (a) one image in one file (a genrepo Deployment, semver:~X.Y)
#   (b) the 1,000 images of bench/auto/ (glob:*, the newer tag created
#       later), 1,000 files
#   (c) the one image of bench/big.yaml, its 1,000th document
# For each case img-update reads that stream (from a file) under measure,
# edits, commits and pushes to the bare repository over file://; then the
# same with --dry-run (read, choose, edit: no commit, no push), and the git
# command line doing the same edit, commit and push (sed -i in a worktree,
# git commit -a, git push), the two taking turns at going first. Before
# every run the bare repository and the mirror are put back as they were,
# so each run does the whole work. For (a) a stream of only that file's
# object separates the reading of the stream from the edit and the push;
# for (c) yedit-apply times the edit alone (lib/yedit, in process), on the
# 1,000th document and on the first.
#
# Every run is checked: exit 0, one update record per image (dry runs:
# dryRun true and the branch unchanged), exactly one new commit on the
# branch, whose diff from the old commit changes only the image scalars:
# each changed file's old lines with the old image replaced by the new
# one must equal its new lines, byte for byte. The bytes that differ
# anyway are the table's "outside" column; anything but 0, or a wrong
# count, stops the benchmark with exit 1 (it is broken, not slow). Timing
# never fails the run: a missed goal is printed.
#
# Environment: SLUICE_BUILD (the build tree, set by make), IMG_UPDATE (the
# program to measure, default $SLUICE_BUILD/bin/img-update), BENCH_SEED
# (default 1), BENCH_RUNS (default 5).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

build=${SLUICE_BUILD:?SLUICE_BUILD must name the build tree}
bin=$build/tests/bench
upd=${IMG_UPDATE:-$build/bin/img-update}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-5}

for p in "$bin/genrepo" "$bin/measure" "$bin/yedit-apply" "$upd" \
    "$build/bin/git-fetch" "$build/bin/manifest-gen"; do
	if [ ! -x "$p" ]; then
		printf 'bench: cannot find %s (make all and the bench tools first)\n' \
		    "$p" >&2
		exit 1
	fi
done
if ! command -v jq >/dev/null 2>&1; then
	printf 'img-update bench: not run (jq is not installed)\n'
	exit 0
fi

# tmpfs, so the disk is not what is measured (DESIGN.md, cost discipline)
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
dir=$(mktemp -d "$shm/sluice-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT



# ---- the repository ----

# The Deployments of bench/: about 2 KB each, comments, a flow sequence,
# flow mappings and quoted strings around the image line. Arguments:
# "auto" (the 1,000 one-document files) or "big" (bench/big.yaml), in $dir/work.
# shellcheck disable=SC2016 # an awk program, not shell
deployments='
function deploy(name, image, auto,   s, i) {
	s = "# " name ": generated for the img-update benchmark\n" \
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n" \
	    "  name: " name "\n  namespace: bench\n  labels:\n" \
	    "    app.kubernetes.io/name: " name "\n" \
	    "    app.kubernetes.io/part-of: bench\n  annotations:\n"
	if (auto)
		s = s "    fluxcd.io/automated: \"true\"\n" \
		    "    fluxcd.io/tag.app: glob:*\n"
	s = s "    description: >-\n      The " name " service, kept at" \
	    " the newest\n      image by the automation.\n" \
	    "spec:\n  replicas: 2   # HPA takes over above this\n" \
	    "  selector:\n    matchLabels:\n" \
	    "      app.kubernetes.io/name: " name "\n" \
	    "  template:\n    metadata:\n      labels:\n" \
	    "        app.kubernetes.io/name: " name "\n" \
	    "    spec:\n      containers:\n        # the application\n" \
	    "        - name: app\n          image: " image \
	    "   # bumped by sluice\n" \
	    "          args: [\"--listen=:8080\", \"--metrics=:9090\"]\n" \
	    "          ports:\n            - name: http\n" \
	    "              containerPort: 8080\n          env:\n"
	for (i = 0; i < 12; i++)
		s = s "            - name: SETTING_" i "\n" \
		    "              value: \"https://" name ".example.com/" i \
		    "\"\n"
	s = s "          resources:\n" \
	    "            requests: {cpu: 100m, memory: 128Mi}\n" \
	    "            limits: {cpu: \"1\", memory: 512Mi}\n" \
	    "          livenessProbe:\n" \
	    "            httpGet: {path: /healthz, port: http}\n" \
	    "            periodSeconds: 10\n"
	return s
}
BEGIN {
	for (i = 0; i < 1000; i++) {
		n = sprintf("auto-%04d", i)
		f = dir "/bench/auto/" n ".yaml"
		printf "%s", deploy(n, "registry.example.com/bench/" n \
		    ":1.0.0", 1) >f
		close(f)
	}
	f = dir "/bench/big.yaml"
	for (i = 0; i < 1000; i++) {
		n = sprintf("big-%04d", i)
		printf "%s%s", (i ? "---\n" : ""), deploy(n,
		    "registry.example.com/big/" n ":1.0.0", i == 999) >f
	}
	close(f)
}'

# images PICK: one image record per automated workload of auto.list (rows
# [file, doc, image]): the tag in use, created 2024-01-01, and for the files
# matching the regular expression PICK a tag one patch release newer,
# created 2024-06-01; then img-scan's end record
images() {
	jq -c --arg pick "$1" '
	    (.[2] | sub(":[^:/]*$"; "")) as $name |
	    (.[2] | capture(":(?<t>[^:/]*)$").t) as $tag |
	    {type: "image", source: "bench", name: $name,
	     tags: ([{tag: $tag, digest: null,
	               created: "2024-01-01T00:00:00Z"}] +
	       if (.[0] | test($pick)) then
	         [{tag: ($tag | split(".") |
	                 .[2] |= (tonumber + 1 | tostring) | join(".")),
	           digest: null, created: "2024-06-01T00:00:00Z"}]
	       else [] end)}' "$dir/auto.list"
	jq -nc '{type: "end", stage: "img-scan", source: "bench",
	    commit: null, ok: true, counts: {}, failed: []}'
}

# ---- checking a run ----

# outside GITDIR OLD NEW UPDATES: compare the commits OLD and NEW with the
# update records (file, from, to) of UPDATES: "files=F outside=B
# missing=M", F the files changed, B the bytes that differ from the old
# lines with each from replaced by its to, M the files of UPDATES not
# changed. A diff with no context gives every changed line; what it does
# not show is the same in both.
outside() {
	jq -r 'select(.type == "update") | [.file, .from, .to] | @tsv' "$4" \
	    >"$dir/upd.tsv"
	git -C "$1" diff -U0 --no-color --no-ext-diff --no-textconv \
	    --no-renames -a "$2" "$3" >"$dir/diff" ||
	    fail "git diff $2 $3"
	LC_ALL=C awk -F '\t' '
	# differ A B: bytes of B not equal to A at the same place
	function differ(a, b,   i, n, d) {
		n = length(a) < length(b) ? length(a) : length(b)
		d = length(a) - length(b)
		d = d < 0 ? -d : d
		for (i = 1; i <= n; i++)
			d += substr(a, i, 1) != substr(b, i, 1)
		return d
	}
	function flush(   e, k, i) {
		if (f == "")
			return
		if (!((f, 1) in fr)) {
			out += length(m) + length(p)
		} else {
			seen[f] = 1
			e = m
			for (k = 1; (f, k) in fr; k++)
				if ((i = index(e, fr[f, k])) > 0)
					e = substr(e, 1, i - 1) to[f, k] \
					    substr(e, i + length(fr[f, k]))
			out += differ(e, p)
		}
		f = m = p = ""
	}
	FNR == NR { k = ++n[$1]; fr[$1, k] = $2; to[$1, k] = $3; next }
	/^diff --git / {
		flush(); split($0, w, " "); f = substr(w[3], 3)
		files++; hdr = 1; next
	}
	hdr && /^(old|new) mode / { out++ }
	hdr && /^@@/ { hdr = 0 }
	hdr { next }
	/^-/ { m = m substr($0, 2) "\n"; last = "m"; next }
	/^\+/ { p = p substr($0, 2) "\n"; last = "p"; next }
	/^\\/ {		# no newline at the end of the file
		if (last == "m")
			m = substr(m, 1, length(m) - 1)
		else
			p = substr(p, 1, length(p) - 1)
	}
	END {
		flush()
		for (f in n)
			missing += !(f in seen)
		printf "files=%d outside=%d missing=%d\n", files, out, missing
	}' "$dir/upd.tsv" "$dir/diff"
}

# check_pushed NAME GITDIR UPDATES N: the branch of GITDIR is exactly one
# commit on $base, and its diff changes exactly the N files of UPDATES,
# only in the image scalars; the bytes outside them go to $dir/NAME.out
check_pushed() {
	local name=$1 g=$2 head res
	head=$(git -C "$g" rev-parse main)
	if [ "$(git -C "$g" rev-parse "$head^")" != "$base" ] ||
	    [ "$(git -C "$g" rev-list --count "$base..$head")" != 1 ]; then
		mismatch "$name: main is at $head, not one commit on $base"
	fi
	res=$(outside "$g" "$base" "$head" "$3")
	if [ "$(field files /dev/stdin <<<"$res")" != "$4" ] ||
	    [ "$(field missing /dev/stdin <<<"$res")" != 0 ]; then
		mismatch "$name: the commit changed other files than the updates: $res"
	fi
	[ "$(field outside /dev/stdin <<<"$res")" = 0 ] ||
	    mismatch "$name: bytes changed outside the image scalars: $res"
	field outside /dev/stdin <<<"$res" >"$dir/$name.outside"
	printf '%s\n' "$head"
}

# reset: the bare repository, git's bare repository and the mirror as
# they were before any run, so each run does the whole work (objects
# already in a repository would not be written or sent again)
reset() {
	rm -rf "$dir/srv.git" "$dir/gsrv.git" "$dir/state"
	cp -a "$dir/srv.0" "$dir/srv.git"
	cp -a "$dir/srv.0" "$dir/gsrv.git"
	cp -a "$dir/state.0" "$dir/state"
}

# record NAME: append "wall cpu rss" from $dir/m to $dir/NAME.runs
record() {
	printf '%s %s %s\n' "$(field wall "$dir/m")" "$(field cpu "$dir/m")" \
	    "$(field maxrssMB "$dir/m")" >>"$dir/$1.runs"
}

# upd_run NAME INPUT N: img-update on INPUT, which must update N images
# in N files, one commit, pushed
upd_run() {
	local name=$1 out=$dir/$1.out head
	reset
	"$bin/measure" -i "$2" -o "$out" "$upd" --git-url "file://$dir/srv.git" \
	    --git-branch main >"$dir/m" 2>"$dir/err" ||
	    fail "img-update ($name) exited $(field status "$dir/m")"
	if [ "$(grep -c '^{"type":"update"' "$out")" != "$3" ] ||
	    ! jq -e 'select(.type == "end" and .stage == "img-update") |
	        .ok and .counts.updates == '"$3" "$out" >/dev/null; then
		mismatch "img-update ($name): not $3 updates: $(grep '"stage":"img-update"' "$out")"
	fi
	head=$(check_pushed "$name" "$dir/srv.git" "$out" "$3")
	[ "$(jq -r 'select(.type == "update") | .commit' "$out" | sort -u)" = \
	    "$head" ] || mismatch "img-update ($name): updates name another commit"
	record "$name"
}

# dry_run NAME INPUT N: img-update --dry-run on INPUT: N update records,
# nothing pushed
dry_run() {
	local name=$1 out=$dir/$1.out
	reset
	"$bin/measure" -i "$2" -o "$out" "$upd" --dry-run >"$dir/m" \
	    2>"$dir/err" ||
	    fail "img-update --dry-run ($name) exited $(field status "$dir/m")"
	[ "$(jq -c 'select(.type == "update") | .dryRun' "$out" | grep -c true)" = "$3" ] ||
	    mismatch "img-update --dry-run ($name): not $3 updates"
	[ "$(git -C "$dir/srv.git" rev-parse main)" = "$base" ] ||
	    mismatch "img-update --dry-run ($name) moved the branch"
	record "$name"
}

# git_run NAME N UPDATES SED-ARGS...: in git's worktree at $base, sed -i
# SED-ARGS, git commit -a, git push: the same N files must change as in
# UPDATES, and only there
git_run() {
	local name=$1 n=$2 u=$3
	shift 3
	reset
	git -C "$dir/gwt" reset -q --hard "$base"
	# shellcheck disable=SC2016 # expanded by the inner sh
	"$bin/measure" sh -c 'cd "$1" && shift && sed -i "$@" &&
	    git commit -q -a -m "bench: newer images" &&
	    git push -q origin main' sh "$dir/gwt" "$@" >"$dir/m" \
	    2>"$dir/err" || fail "git ($name) exited $(field status "$dir/m")"
	check_pushed "$name" "$dir/gsrv.git" "$u" "$n" >/dev/null
	record "$name"
}

# best NAME: the best wall time with its CPU time, and the highest RSS
best() {
	awk 'NR == 1 || $1 < w { w = $1; c = $2 }
	    $3 > r { r = $3 }
	    END { print w, c, r }' "$dir/$1.runs"
}

# ---- the run ----

printf 'sluice img-update benchmark\n'
printf 'machine: %s CPUs, %s, %s\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(uname -sr)"
printf '%s, %s\n' "$(git --version)" "$(pkg-config --modversion libgit2 \
    2>/dev/null | sed 's/^/libgit2 /' || true)"
printf 'tmpfs: %s, seed %s, best of %s runs, MB = 2^20 bytes\n' \
    "$dir" "$seed" "$runs"
printf 'img-update: %s\n' "$upd"

"$bin/genrepo" -n 10000 -s "$seed" "$dir/work" >"$dir/gen"
mkdir -p "$dir/work/bench/auto"
awk -v dir="$dir/work" "$deployments"
git_q init -q -b main "$dir/work"
git_q -C "$dir/work" add -A
git_q -C "$dir/work" commit -q -m "bench: 10,000 objects, bench/"
base=$(git -C "$dir/work" rev-parse HEAD)
# served as after gc: bare, one pack; no gc after a push either
git_q clone -q --bare --no-local "$dir/work" "$dir/srv.0"
git -C "$dir/srv.0" config gc.auto 0
git -C "$dir/srv.0" config receive.autogc false
rm -rf "$dir/work"
# git's worktree, pushing to its own copy of the bare repository
git_q clone -q --no-local "$dir/srv.0" "$dir/gwt"
git -C "$dir/gwt" remote set-url origin "$dir/gsrv.git"
for c in user.name=bench user.email=bench@example.invalid \
    commit.gpgsign=false core.fsync=none gc.auto=0 maintenance.auto=false
do
	git -C "$dir/gwt" config "${c%%=*}" "${c#*=}"
done

# the mirror, as git-fetch keeps it, and the stream, once
cp -a "$dir/srv.0" "$dir/srv.git"
"$build/bin/git-fetch" --git-url "file://$dir/srv.git" --git-branch main \
    --source bench --state-dir "$dir/state.0" 2>"$dir/err" |
    "$build/bin/manifest-gen" >"$dir/stream" 2>>"$dir/err" ||
    fail "git-fetch | manifest-gen"
[ "$(jq -r 'select(.type == "revision") | .commit' "$dir/stream")" = \
    "$base" ] || fail "git-fetch did not name $base"
jq -c 'select(.type == "object" and
    .object.metadata.annotations["fluxcd.io/automated"] == "true") |
    [.file, .doc, (.object.spec.template.spec.containers[] |
    select(.name == "app") | .image)]' "$dir/stream" >"$dir/auto.list"
nauto=$(wc -l <"$dir/auto.list")
# (a): the first genrepo workload that is automated
afile=$(jq -r 'select(.[0] | startswith("bench/") | not) | .[0]' \
    "$dir/auto.list" | head -n 1)
aimg=$(jq -r --arg f "$afile" 'select(.[0] == $f) | .[2]' "$dir/auto.list")
anew=$(jq -rn --arg i "$aimg" '$i | capture("^(?<n>.*):(?<t>[^:/]*)$") |
    .n + ":" + (.t | split(".") | .[2] |= (tonumber + 1 | tostring) |
    join("."))')
# shellcheck disable=SC2016 # a sed program, not shell
afile_re=$(printf '%s' "$afile" | sed 's/[.[\*^$()+?{|]/\\&/g')
{ cat "$dir/stream"; images "^$afile_re\$"; } >"$dir/a.in"
{ cat "$dir/stream"; images '^bench/auto/'; } >"$dir/b.in"
{ cat "$dir/stream"; images '^bench/big\.yaml$'; } >"$dir/c.in"
# (a) with only the revision, the one file's objects, the images and
# the end records: the edit, the commit and the push without the stream
jq -c --arg f "$afile" 'select(.type != "object" or .file == $f)' \
    "$dir/a.in" >"$dir/a1.in"
git -C "$dir/srv.0" cat-file blob "$base:bench/big.yaml" >"$dir/big.yaml"
printf 'repository: %s objects in %s files (genrepo %s + bench/), %s automated;\n' \
    "$(jq -r 'select(.type == "end" and .stage == "manifest-gen") |
    .counts.objects' "$dir/stream")" \
    "$(jq -r 'select(.type == "end" and .stage == "manifest-gen") |
    .counts.files' "$dir/stream")" "$(field objects "$dir/gen")" "$nauto"
printf 'stream: %s records, %s MB (+ %s image records);\n' \
    "$(wc -l <"$dir/stream")" \
    "$(calc "$(wc -c <"$dir/stream") / 1048576" | cut -c1-5)" "$nauto"
printf 'big.yaml: %s bytes, 1,000 documents\n' "$(wc -c <"$dir/big.yaml")"
printf '(a) %s -> %s\n    in %s\n' "$aimg" "${anew##*:}" "$afile"

# one run of each, by case
upd_a() { upd_run a "$dir/a.in" 1; }
upd_b() { upd_run b "$dir/b.in" 1000; }
upd_c() { upd_run c "$dir/c.in" 1; }
git_a() {
	git_run a.git 1 "$dir/a.out" "s|image: $aimg|image: $anew|" \
	    "$dir/gwt/$afile"
}
git_b() {
	git_run b.git 1000 "$dir/b.out" \
	    's|\(image: registry\.example\.com/bench/auto-[0-9]*\):1\.0\.0|\1:1.0.1|' \
	    "$dir/gwt/bench/auto/"*.yaml
}
git_c() {
	git_run c.git 1 "$dir/c.out" \
	    's|\(image: registry\.example\.com/big/big-0999\):1\.0\.0|\1:1.0.1|' \
	    "$dir/gwt/bench/big.yaml"
}

# the cases: img-update and git taking turns at going first, then the
# dry runs and the stream of one object
for c in a b c; do
	: >"$dir/$c.runs"
	: >"$dir/$c.git.runs"
	: >"$dir/$c.dry.runs"
done
: >"$dir/a1.runs"
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	for c in a b c; do
		if [ $((i % 2)) -eq 1 ]; then
			"upd_$c"
			"git_$c"
		else
			"git_$c"
			"upd_$c"
		fi
	done
	upd_run a1 "$dir/a1.in" 1
	dry_run a.dry "$dir/a.in" 1
	dry_run b.dry "$dir/b.in" 1000
	dry_run c.dry "$dir/c.in" 1
done

# (c), the edit alone: lib/yedit on the file in memory, best of 20; the
# new file must be the old one with only the tag changed
for d in 999 0; do
	n=$(printf 'big-%04d' "$d")
	"$bin/yedit-apply" -r $((runs * 4)) -o "$dir/big.new" "$dir/big.yaml" \
	    "$d" /spec/template/spec/containers/0/image \
	    "registry.example.com/big/$n:1.0.1" \
	    "registry.example.com/big/$n:1.0.0" >"$dir/edit.$d" \
	    2>"$dir/err" || fail "yedit-apply (document $d)"
	sed "s|\(image: registry\.example\.com/big/$n\):1\.0\.0|\1:1.0.1|" \
	    "$dir/big.yaml" >"$dir/big.want"
	cmp -s "$dir/big.want" "$dir/big.new" ||
	    mismatch "yedit-apply (document $d): not only the tag changed"
	[ "$(cmp -l "$dir/big.yaml" "$dir/big.new" | wc -l)" = 1 ] ||
	    mismatch "yedit-apply (document $d): not one byte changed"
done

# ---- the table ----

# row LABEL NAME GOAL-SECONDS: one line of the table; GOAL-SECONDS -
# for none
row() {
	local w c r o goal ok
	best "$2" >"$dir/b"
	read -r w c r <"$dir/b"
	o=-
	[ ! -f "$dir/$2.outside" ] || o=$(cat "$dir/$2.outside")
	goal='' ok=''
	if [ "$3" != - ]; then
		goal=$(printf '< %s ms' "$(calc "$3 * 1000")")
		ok=$(verdict "$(calc "$w < $3")")
	fi
	printf '%-34s %8.1f %8.1f %7.1f %8s  %-9s %s\n' "$1" \
	    "$(calc "$w * 1000")" "$(calc "$c * 1000")" "$r" "$o" "$goal" "$ok"
}
# edit_row LABEL DOC: yedit-apply's line
edit_row() {
	local s ok
	s=$(field seconds "$dir/edit.$2")
	ok=$(verdict "$(calc "$s < 0.020")")
	[ "$2" = 999 ] || ok=
	printf '%-34s %8.1f %8s %7s %8s  %-9s %s\n' "$1" "$(calc "$s * 1000")" \
	    - - 0 "$([ -z "$ok" ] || printf '< 20 ms')" "$ok"
}

printf '\n%-34s %8s %8s %7s %8s  %-9s %s\n' case "wall ms" "CPU ms" \
    "RSS MB" outside goal ""
row "(a) img-update, 1 image" a 0.050
row "    --dry-run" a.dry -
row "    stream of that one object" a1 -
row "    git: sed, commit -a, push" a.git -
row "(b) img-update, 1,000 images" b 0.5
row "    --dry-run" b.dry -
row "    git: sed, commit -a, push" b.git -
row "(c) img-update, 2 MB file" c -
row "    --dry-run" c.dry -
row "    git: sed, commit -a, push" c.git -
edit_row "    edit alone, document 1,000" 999
edit_row "    edit alone, document 1" 0
printf '(wall, CPU, peak RSS: the whole process, best of %s, RSS the highest;\n' \
    "$runs"
printf ' outside: bytes changed outside the image scalars, which must be 0;\n'
printf ' git: the same edit by sed -i in a worktree of the same commit, then\n'
printf ' git commit -a and git push to a bare repository, CPU with children;\n'
printf ' edit alone: yedit-apply, lib/yedit on the file in memory, best of %s)\n' \
    $((runs * 4))

read -r aw _ <<<"$(best a)"
read -r gw _ <<<"$(best a.git)"
read -r bw _ <<<"$(best b)"
ew=$(field seconds "$dir/edit.999")
printf '\ngoals:\n'
printf '  (a) one image, edit + commit + push  %.1f ms (goal < 50 ms; git %.1f ms)  %s\n' \
    "$(calc "$aw * 1000")" "$(calc "$gw * 1000")" \
    "$(verdict "$(calc "$aw < 0.050")")"
printf '  (b) 1,000 images in 1,000 files      %.3f s (goal < 0.5 s)  %s\n' \
    "$bw" "$(verdict "$(calc "$bw < 0.5")")"
printf '  (c) the edit in a 2 MB file          %.1f ms (goal < 20 ms)  %s\n' \
    "$(calc "$ew * 1000")" "$(verdict "$(calc "$ew < 0.020")")"
printf '  bytes changed outside the scalars    0 in every run (checked)  met\n'
