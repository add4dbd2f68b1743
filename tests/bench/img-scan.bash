#!/bin/bash
# img-scan.bash: the img-scan benchmark (make bench, after kube-apply.sh).
# Bash, for tests/servers/registry-servers.bash. Two parts, in tmpfs:
#
# (1) The real docker-registry with REPOS (200) repositories x TAGS (50)
#     tags: skopeo pushes the first image of each repository, then the same
#     manifest is PUT under the other tags (registry-put.py). One automated
#     Deployment per repository, every tag wanted:
#       cold, glob     glob:* (orders by time): tags, HEADs, one manifest
#                      and config per digest
#       warm, glob     the same again: one tags request per repository
#       cold, semver   semver:* on a fresh cache: tags only
#       skopeo         skopeo list-tags per repository and skopeo inspect
#                      per tag, the same lookups, 2 at a time
#     Requests by kind come from the registry's access log.
# (2) registry-bench.py, the stand-in, with 1,000 repositories x 500 tags,
#     100 tags a page, every tag its own image:
#       cold and warm, semver, all 1,000 repositories
#       cold and warm, glob, the first 100 (150,000 requests cold)
#     Requests by kind come from the stand-in's /_stats.
# Each run is timed whole-process by measure (wall, peak RSS); cache bytes
# per tag are the cache folder's size over the tags. It ends with the
# goals. Timing never fails the run; a wrong count (images, tags, failed
# reads) or a tool failing does (exit 1).
#
# Environment: SLUICE_BUILD (the build tree, set by make), IMG_SCAN (the
# program, default $SLUICE_BUILD/bin/img-scan), BENCH_REPOS (200),
# BENCH_TAGS (50), BENCH_SKOPEO=0 skips skopeo, BENCH_SCALE_REPOS (1000),
# BENCH_SCALE_TAGS (500), BENCH_SCALE_GLOB (100).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
# shellcheck source=../servers/registry-servers.bash
. "$here/../servers/registry-servers.bash"

build=${SLUICE_BUILD:?SLUICE_BUILD must name the build tree}
scan=${IMG_SCAN:-$build/bin/img-scan}
measure=$build/tests/bench/measure
repos=${BENCH_REPOS:-200}
tags=${BENCH_TAGS:-50}
use_skopeo=${BENCH_SKOPEO:-1}
srepos=${BENCH_SCALE_REPOS:-1000}
stags=${BENCH_SCALE_TAGS:-500}
sglob=${BENCH_SCALE_GLOB:-100}
page=100

for p in "$scan" "$measure"; do
	if [ ! -x "$p" ]; then
		printf 'bench: cannot find %s (make all and the bench tools first)\n' \
		    "$p" >&2
		exit 1
	fi
done
for p in docker-registry skopeo python3 curl jq; do
	if ! command -v "$p" >/dev/null 2>&1; then
		printf 'img-scan bench: not run (%s is not installed)\n' "$p"
		exit 0
	fi
done

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
dir=$(mktemp -d "$shm/sluice-bench.XXXXXX")
export TMPDIR=$dir
cleanup() {
	stop_registries
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT



# objects HOST N FILTER [FIRST]: N automated Deployments of images
# HOST/bench/rNNNN:1.0.0 (FIRST, default 0, onwards), with tag filter
# FILTER, and manifest-gen's end record.
objects() {
	jq -nc --arg h "$1" --argjson n "$2" --arg f "$3" \
	    --argjson from "${4:-0}" '
	    range($from; $from + $n) as $i |
	    ($i | tostring | ("000" + .)[-4:]) as $r |
	    {type: "object", source: "bench", commit: null,
	     file: ("apps/r" + $r + ".yaml"), doc: 0,
	     id: ("default:deployment/r" + $r), ignored: false,
	     object: {apiVersion: "apps/v1", kind: "Deployment",
	       metadata: {name: ("r" + $r), annotations: {
	         "fluxcd.io/automated": "true", "fluxcd.io/tag.app": $f}},
	       spec: {template: {spec: {containers: [{name: "app",
	         image: ($h + "/bench/r" + $r + ":1.0.0")}]}}}}}'
	jq -nc '{type: "end", stage: "manifest-gen", source: "bench",
	    commit: null, ok: true, counts: {}, failed: []}'
}

# run_scan NAME INPUT CACHE HOST REPOS TAGS: img-scan under measure; its
# end record must count REPOS images, REPOS x TAGS tags, none failed.
# Leaves "wall=... maxrssMB=..." in $dir/NAME.m and the records in
# $dir/NAME.out.
run_scan() {
	local name=$1 in=$2 cache=$3 host=$4 n=$5 t=$6 end
	"$measure" -i "$in" -o "$dir/$name.out" "$scan" --cache-dir "$cache" \
	    --registry-insecure-host "$host" --registry-rps 100000 \
	    >"$dir/$name.m" 2>"$dir/err" || fail "img-scan ($name)"
	end=$(jq -c 'select(.type == "end" and .stage == "img-scan")' \
	    "$dir/$name.out")
	[ "$(jq -r '[.counts.images, .counts.tags, .counts.failed] | join(" ")' \
	    <<<"$end")" = "$n $((n * t)) 0" ] ||
	    mismatch "img-scan ($name) ended with $end"
}

# access HOST-LOG MARK: sluice's requests in docker-registry's access log
# after line MARK, as "token=N tags=N head=N get=N blob=N bytes=N"
access() {
	tail -n +"$(($2 + 1))" "$1" | grep '"sluice/' | awk '
	    / "GET \/v2\/.*\/tags\/list/ { t++ }
	    / "HEAD \/v2\/.*\/manifests\// { h++ }
	    / "GET \/v2\/.*\/manifests\// { g++ }
	    / "GET \/v2\/.*\/blobs\// { b++ }
	    { n = split($0, w, "\" "); split(w[2], f, " "); by += f[2] }
	    END { printf "token=0 tags=%d head=%d get=%d blob=%d bytes=%d\n",
	        t, h, g, b, by }'
}

# stub_stats DELTA-FROM: the stand-in's counters, minus an earlier line
stub_stats() {
	local now
	now=$(curl -fsS "http://$STUB_HOST/_stats" | jq -r \
	    '"token=0 tags=\(.tags) head=\(.head) get=\(.get) blob=\(.blob) bytes=\(.bytes)"')
	if [ -n "${1:-}" ]; then
		awk -v a="$1" -v b="$now" 'BEGIN {
		    n = split(a, x, " "); split(b, y, " ")
		    for (i = 1; i <= n; i++) {
		        split(x[i], p, "="); split(y[i], q, "=")
		        printf "%s%s=%d", (i > 1 ? " " : ""), p[1], q[2] - p[2]
		    }
		    print "" }'
	else
		printf '%s\n' "$now"
	fi
}

cache_bytes() {
	du -sb "$1" | cut -f1
}

row() {
	# name wall rss requests-line cache-bytes tag-count
	local name=$1 m=$2 req=$3 cb=$4 nt=$5
	printf '%-26s %7s %7s %6s %7s %7s %7s %7s %9s %8s\n' "$name" \
	    "$(field wall "$m")" "$(field maxrssMB "$m")" \
	    "$(printf '%s\n' "$req" | field token /dev/stdin)" \
	    "$(printf '%s\n' "$req" | field tags /dev/stdin)" \
	    "$(printf '%s\n' "$req" | field get /dev/stdin)" \
	    "$(printf '%s\n' "$req" | field head /dev/stdin)" \
	    "$(printf '%s\n' "$req" | field blob /dev/stdin)" \
	    "$(printf '%s\n' "$req" | field bytes /dev/stdin)" \
	    "$(if [ "$cb" = - ]; then echo -; else calc "int($cb / $nt + 0.5)"; fi)"
}

header() {
	printf '%-26s %7s %7s %6s %7s %7s %7s %7s %9s %8s\n' run wall_s rss_MB \
	    token tags mGET mHEAD blob bytes cacheB/tag
}

printf 'img-scan benchmark: %s, %s cores, %s\n' \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(nproc)" "$(uname -sr)"

# ---- (1) docker-registry ----

start_registry "$dir/reg" noauth >/dev/null 2>&1 || fail "docker-registry"
reg=$REG_HOST
log=$REG_DIR/log
printf '\n(1) docker-registry 2.8, %d repositories x %d tags (one image each)\n' \
    "$repos" "$tags"
sh "$here/../servers/mkimg.sh" "$dir/oci" 1.0.0 2024-01-03T00:00:00Z amd64 \
    >/dev/null || fail "mkimg.sh"
seq 0 $((repos - 1)) | awk '{ printf "%04d\n", $1 }' |
    xargs -P 2 -I{} skopeo copy -q --dest-tls-verify=false \
    "oci:$dir/oci:1.0.0" "docker://$reg/bench/r{}:1.0.0" 2>"$dir/err" ||
    fail "skopeo copy"
python3 "$here/../servers/registry-put.py" "$reg" "$repos" "$tags" \
    2>"$dir/err" || fail "registry-put.py"

objects "$reg" "$repos" 'glob:*' >"$dir/glob.in"
objects "$reg" "$repos" 'semver:*' >"$dir/semver.in"

mark=$(wc -l <"$log")
run_scan cold-glob "$dir/glob.in" "$dir/c1" "$reg" "$repos" "$tags"
r_cold=$(access "$log" "$mark")
mark=$(wc -l <"$log")
run_scan warm-glob "$dir/glob.in" "$dir/c1" "$reg" "$repos" "$tags"
r_warm=$(access "$log" "$mark")
mark=$(wc -l <"$log")
run_scan cold-semver "$dir/semver.in" "$dir/c2" "$reg" "$repos" "$tags"
r_semver=$(access "$log" "$mark")

header
row "img-scan cold, glob:*" "$dir/cold-glob.m" "$r_cold" \
    "$(cache_bytes "$dir/c1")" $((repos * tags))
row "img-scan warm, glob:*" "$dir/warm-glob.m" "$r_warm" - 1
row "img-scan cold, semver:*" "$dir/cold-semver.m" "$r_semver" - 1

if [ "$use_skopeo" != 0 ]; then
	mark=$(wc -l <"$log")
	# shellcheck disable=SC2016 # expanded by the inner sh
	"$measure" sh -c '
	    reg=$1 tags=$2 repos=$3
	    seq 0 $((repos - 1)) | awk "{ printf \"%04d\\n\", \$1 }" |
	    xargs -P 2 -I{} sh -c "
	        skopeo list-tags --tls-verify=false docker://$reg/bench/r{} |
	        jq -r \".Tags[]\" | while read -r t; do
	            skopeo inspect --no-tags --tls-verify=false \
	                docker://$reg/bench/r{}:\$t >/dev/null || exit 1
	        done"' sh "$reg" "$tags" "$repos" >"$dir/skopeo.m" \
	    2>"$dir/err" || fail "skopeo"
	r_skopeo=$(access "$log" "$mark")
	# skopeo's user agent is not sluice's: count every line
	r_skopeo=$(tail -n +"$((mark + 1))" "$log" | grep -v '"sluice/' |
	    awk '
	    / "GET \/v2\/.*\/tags\/list/ { t++ }
	    / "HEAD \/v2\/.*\/manifests\// { h++ }
	    / "GET \/v2\/.*\/manifests\// { g++ }
	    / "GET \/v2\/.*\/blobs\// { b++ }
	    / "[A-Z]+ \/v2\/ HTTP/ { p++ }
	    { n = split($0, w, "\" "); split(w[2], f, " "); by += f[2] }
	    END { printf "token=0 tags=%d head=%d get=%d blob=%d bytes=%d ping=%d\n",
	        t, h, g, b, by, p }')
	row "skopeo list-tags+inspect" "$dir/skopeo.m" "$r_skopeo" - 1
	printf '  (skopeo also sent %s GET /v2/ pings)\n' \
	    "$(printf '%s\n' "$r_skopeo" | field ping /dev/stdin)"
fi
stop_registries

# ---- (2) the stand-in at scale ----

start_registry_stub_bench() {
	python3 "$here/../servers/registry-bench.py" "$srepos" "$stags" "$page" \
	    >"$dir/stub.log" 2>&1 3>&- &
	local pid=$! port
	port=$(_rs_port registry-bench.py "$pid" "$dir/stub.log") || return 1
	STUB_HOST=127.0.0.1:$port
}
start_registry_stub_bench || fail "registry-bench.py"
printf '\n(2) registry-bench.py, %d repositories x %d tags, %d a page, every tag its own image\n' \
    "$srepos" "$stags" "$page"
objects "$STUB_HOST" "$srepos" 'semver:*' >"$dir/s-semver.in"
objects "$STUB_HOST" "$sglob" 'glob:*' >"$dir/s-glob.in"

s0=$(stub_stats)
run_scan s-cold-semver "$dir/s-semver.in" "$dir/c3" "$STUB_HOST" "$srepos" \
    "$stags"
s_cold=$(stub_stats "$s0")
s0=$(stub_stats)
run_scan s-warm-semver "$dir/s-semver.in" "$dir/c3" "$STUB_HOST" "$srepos" \
    "$stags"
s_warm=$(stub_stats "$s0")
s0=$(stub_stats)
run_scan s-cold-glob "$dir/s-glob.in" "$dir/c4" "$STUB_HOST" "$sglob" "$stags"
g_cold=$(stub_stats "$s0")
s0=$(stub_stats)
run_scan s-warm-glob "$dir/s-glob.in" "$dir/c4" "$STUB_HOST" "$sglob" "$stags"
g_warm=$(stub_stats "$s0")

header
row "cold, semver:*, ${srepos}" "$dir/s-cold-semver.m" "$s_cold" \
    "$(cache_bytes "$dir/c3")" $((srepos * stags))
row "warm, semver:*, ${srepos}" "$dir/s-warm-semver.m" "$s_warm" - 1
row "cold, glob:*, ${sglob}" "$dir/s-cold-glob.m" "$g_cold" \
    "$(cache_bytes "$dir/c4")" $((sglob * stags))
row "warm, glob:*, ${sglob}" "$dir/s-warm-glob.m" "$g_warm" - 1

# ---- goals ----

pages=$(((stags + page - 1) / page))
total() {
	printf '%s\n' "$1" | awk '{ s = 0; for (i = 1; i <= NF; i++) {
	    split($i, p, "="); if (p[1] != "bytes" && p[1] != "ping") s += p[2] }
	    print s }'
}
perrepo_warm=$(calc "$(total "$r_warm") / $repos")
perrepo_semver=$(calc "$(total "$s_cold") / $srepos")
bound=$((sglob * (pages + 2 * stags)))
ratio=$(calc "$(total "$g_cold") / $bound")
manifests=$(($(printf '%s\n' "$r_warm" | field get /dev/stdin) + \
    $(printf '%s\n' "$r_semver" | field get /dev/stdin) + \
    $(printf '%s\n' "$s_cold" | field get /dev/stdin) + \
    $(printf '%s\n' "$s_warm" | field get /dev/stdin) + \
    $(printf '%s\n' "$g_warm" | field get /dev/stdin)))
wall_cold=$(field wall "$dir/s-cold-semver.m")
wall_warm=$(field wall "$dir/s-warm-semver.m")
cb=$(calc "$(cache_bytes "$dir/c4") / ($sglob * $stags)")

printf '\ngoals:\n'
printf '  semver-only and warm: ceil(tags/page) + 1 requests a repository, 0 manifest GETs\n'
printf '    (1) warm %s/repository, (2) semver %s/repository (%d pages), manifest GETs %d: %s\n' \
    "$perrepo_warm" "$perrepo_semver" "$pages" "$manifests" \
    "$(verdict "$(calc "$perrepo_warm <= 2 && $perrepo_semver <= $pages + 1 && $manifests == 0")")"
printf '  (2) in under 2 s: cold %s s, warm %s s: %s\n' "$wall_cold" \
    "$wall_warm" "$(verdict "$(calc "$wall_cold < 2 && $wall_warm < 2")")"
printf '  cold timestamp scan within 1.5x of pages + 1 manifest + 1 config a digest\n'
printf '    (2) %d requests against %d: %sx: %s\n' "$(total "$g_cold")" \
    "$bound" "$ratio" "$(verdict "$(calc "$ratio <= 1.5")")"
printf '  under 100 bytes of cache a tag: %s (one image a tag): %s\n' "$cb" \
    "$(verdict "$(calc "$cb < 100")")"
