#!/bin/sh
# quickstart.sh [SCRATCH]: sluice end to end on one machine, with no cluster
# and no Docker. Installs what is missing (tests/install-deps.sh, apt-get
# through sudo when not root) and builds, then, in SCRATCH (default
# ${TMPDIR:-/tmp}/sluice-quickstart, wiped first):
#   - a bare Git repository demo.git holding examples/demo, on branch main;
#   - a docker-registry on 127.0.0.1 (a free port) with demo/web:1.0.0;
#   - the source "demo" (etc/demo.env), whose target is the folder cluster/;
#   - sluice sync demo, which renders the objects into cluster/;
#   - demo/web:1.1.0 (and 2.0.0, which the tag filter refuses) pushed;
#     sluice images demo, which commits 1.1.0 to demo.git;
#   - sluice sync demo again, which applies it.
# The registry is stopped when the script exits.
# SLUICE_QUICKSTART_NO_BUILD=1 skips the install and the build and uses the
# tools in $SLUICE_BUILD/bin (default build/bin), as tests/quickstart.bats
# does.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
scratch=${1:-${TMPDIR:-/tmp}/sluice-quickstart}
reg_pid=

step () {
	printf '\n==> %s\n' "$*"
}

die () {
	printf 'quickstart: %s\n' "$*" >&2
	exit 1
}

stop_registry () {
	[ -n "$reg_pid" ] || return 0
	kill -TERM "$reg_pid" 2>/dev/null || true
	wait "$reg_pid" 2>/dev/null || true
	reg_pid=
}
trap stop_registry EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# shows FILE: the image line of a rendered Deployment
image_of () {
	sed -n 's/^ *image: *//p' "$1"
}

# pass NAME LOG: run `sluice NAME demo`, its records to LOG; on failure
# show the end of LOG
pass () {
	if sluice "$1" demo 2>"$2"; then
		return 0
	else
		rc=$?
	fi
	printf 'quickstart: sluice %s demo exited %s; the end of %s:\n' \
	    "$1" "$rc" "$2" >&2
	tail -n 20 "$2" >&2
	exit "$rc"
}

if [ "${SLUICE_QUICKSTART_NO_BUILD:-}" = 1 ]; then
	bin=${SLUICE_BUILD:-$root/build}/bin
	step "Using the tools in $bin (SLUICE_QUICKSTART_NO_BUILD=1)"
else
	step "Installing the Debian packages that are missing (tests/install-deps.sh)"
	sh "$root/tests/install-deps.sh"
	step "Building (make -j2)"
	make -s -C "$root" -j2
	bin=$root/build/bin
fi
[ -x "$bin/sluice" ] || die "no $bin/sluice: build first"
PATH=$bin:$PATH
export PATH

step "Scratch folder $scratch (wiped)"
if [ -d "$scratch" ] && [ -n "$(ls -A "$scratch")" ] &&
    [ ! -f "$scratch/.sluice-quickstart" ]; then
	die "$scratch is not empty and not an earlier quickstart's: not wiping it"
fi
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd -P)
case $scratch in
*[\'\"\\]*) die "the scratch folder's path has a quote or a backslash" ;;
esac
: >"$scratch/.sluice-quickstart"
mkdir "$scratch/logs"

step "Starting docker-registry on 127.0.0.1"
mkdir -p "$scratch/registry/data"
cat >"$scratch/registry/config.yml" <<END
version: 0.1
log: {level: info, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $scratch/registry/data}
http: {addr: "127.0.0.1:0", secret: quickstart-only}
END
docker-registry serve "$scratch/registry/config.yml" \
    >"$scratch/registry/log" 2>&1 3>&- &
reg_pid=$!
printf '%s\n' "$reg_pid" >"$scratch/registry/pid"
port='' i=0
while [ -z "$port" ]; do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
	    "$scratch/registry/log" | head -n 1)
	i=$((i + 1))
	if [ -z "$port" ] && { [ "$i" -gt 100 ] ||
	    ! kill -0 "$reg_pid" 2>/dev/null; }; then
		cat "$scratch/registry/log" >&2
		die "docker-registry did not start"
	fi
	[ -n "$port" ] || sleep 0.1
done
reg=127.0.0.1:$port
i=0
until curl -fsS -o /dev/null "http://$reg/v2/"; do
	i=$((i + 1))
	[ "$i" -le 100 ] || die "docker-registry on $reg does not answer"
	sleep 0.1
done
printf 'registry %s, process %s, log %s\n' "$reg" "$reg_pid" \
    "$scratch/registry/log"

# push TAG CREATED: a tiny image (tests/servers/mkimg.sh) as demo/web:TAG
push () {
	sh "$root/tests/servers/mkimg.sh" "$scratch/oci" "$1" "$2" >/dev/null
	skopeo copy -q --dest-tls-verify=false "oci:$scratch/oci:$1" \
	    "docker://$reg/demo/web:$1"
	printf 'pushed %s/demo/web:%s (created %s)\n' "$reg" "$1" "$2"
}

step "Pushing the image demo/web:1.0.0"
push 1.0.0 2024-01-01T00:00:00Z

step "Creating the Git repository demo.git from examples/demo"
git init -q --bare -b main "$scratch/demo.git"
git clone -q "file://$scratch/demo.git" "$scratch/work" 2>/dev/null
cp "$root"/examples/demo/*.yaml "$scratch/work/"
sed -i "s|REGISTRY/|$reg/|" "$scratch/work/web.yaml"
git -C "$scratch/work" add -A
git -C "$scratch/work" -c user.name=quickstart \
    -c user.email=quickstart@example.com commit -q -m "The demo application"
git -C "$scratch/work" push -q origin HEAD:main
git --git-dir="$scratch/demo.git" log --format='%h %s' main
git --git-dir="$scratch/demo.git" ls-tree --name-only main

step "Writing the source's env file etc/demo.env"
mkdir "$scratch/etc"
cat >"$scratch/etc/demo.env" <<END
# The quickstart's source: the demo repository, rendered into a folder.
GIT_URL='file://$scratch/demo.git'
GIT_BRANCH=main
GIT_USER=sluice
GIT_EMAIL=sluice@example.com
TARGET='dir:$scratch/cluster'
SYNC_GARBAGE_COLLECTION=true
REGISTRY_INSECURE_HOST=$reg
SLUICE_STATE_DIR='$scratch/state'
END
cat "$scratch/etc/demo.env"
SLUICE_CONFIG_DIR=$scratch/etc
export SLUICE_CONFIG_DIR
sluice config check demo

deployment=$scratch/cluster/demo/deployment/web.yaml

step "sluice sync demo: the sync pass (records in logs/sync-1.log)"
pass sync "$scratch/logs/sync-1.log"
sluice status demo
printf 'The target folder cluster/ now holds:\n'
(cd "$scratch/cluster" && find . -type f | sed 's|^\./|  |' | sort)
[ -f "$deployment" ] || die "no $deployment after the sync pass"
printf 'Deployment demo/web runs %s\n' "$(image_of "$deployment")"

step "Pushing demo/web:1.1.0 and demo/web:2.0.0 (newer; the filter semver:~1 allows only 1.1.0)"
push 1.1.0 2024-02-01T00:00:00Z
push 2.0.0 2024-03-01T00:00:00Z

step "sluice images demo: the automation pass (records in logs/images.log)"
pass images "$scratch/logs/images.log"
sluice status demo
printf 'The commit it pushed to demo.git:\n'
git --git-dir="$scratch/demo.git" log -1 \
    --format='  %h %s%n  by %an <%ae>' main
git --git-dir="$scratch/demo.git" diff main~1 main | sed -n 's/^\([-+] \)/  \1/p'

step "sluice sync demo: the sync pass applies the new commit (logs/sync-2.log)"
pass sync "$scratch/logs/sync-2.log"
sluice status demo
printf 'Deployment demo/web runs %s\n' "$(image_of "$deployment")"

step "Stopping the registry"
stop_registry
printf 'stopped\n'

step "Done. Everything is under $scratch:"
cat <<END
  demo.git/       the source's Git repository (file://$scratch/demo.git)
  work/           a clone of it, to commit changes of your own (git pull first)
  etc/demo.env    the source's env file
  cluster/        the sync pass's target: one YAML file per object
  state/demo/     sluice's mirror, inventory and pass summaries
  logs/           each pass's records (NDJSON)
  registry/       the registry's storage, config and log (it is stopped)
A sync pass needs no registry; to run one after a change of your own:
  export SLUICE_CONFIG_DIR=$scratch/etc
  $bin/sluice sync demo && $bin/sluice status demo
END
