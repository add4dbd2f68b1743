#!/bin/sh
# install-deps.sh: install the Debian 12 packages that building and testing
# sluice need, if any is missing. Part of the README's test command, so a
# fresh machine needs nothing else; a machine that has them all is not
# touched (and needs no network).
set -eu

packages="build-essential pkg-config git ca-certificates
libgit2-dev libyaml-dev libcurl4-openssl-dev libjansson-dev libgpgme-dev
libpcre2-dev
jq bats shellcheck procps
systemd
lighttpd lighttpd-mod-openssl apache2-utils openssh-server openssh-client
openssl gnupg netcat-openbsd
python3 curl
docker-registry skopeo
clang libclang-rt-14-dev"
# systemd: systemd-analyze, to verify the units (tests/systemd.bats)
# clang and its libFuzzer runtime (a Recommends only) are for `make fuzz`
# kubectl drives the test API server (tests/servers/kube-apiserver.py);
# Debian 12's kubernetes-client is kubectl 1.20. Any kubectl on PATH will do.
command -v kubectl >/dev/null 2>&1 || packages="$packages kubernetes-client"

missing=
for p in $packages; do
	status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	case $status in
	*' installed') ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

printf 'install-deps: installing%s\n' "$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	printf 'install-deps: missing%s, and not root\n' "$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086 # one word per package
$sudo apt-get install -y -q --no-install-recommends $missing
