#!/bin/sh
# mkimg.sh LAYOUT TAG CREATED [ARCH] [CONTENT]: build or extend the OCI image
# layout LAYOUT with one tiny image: one gzip layer (hello.txt holding
# CONTENT, default TAG), a config whose "created" is CREATED (and whose
# labels carry org.opencontainers.image.created = $MKIMG_LABEL, default
# CREATED), a manifest, and
# an index.json entry tagged TAG through org.opencontainers.image.ref.name.
# Prints the manifest digest. Needs sha256sum, tar, gzip and jq.
# (test-servers.md 1.5, with the label added.)
set -eu
dir=$1 tag=$2 created=$3 arch=${4:-amd64} content=${5:-$2}
label=${MKIMG_LABEL:-$created}
mkdir -p "$dir/blobs/sha256"
[ -f "$dir/oci-layout" ] || printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
tmp=$(mktemp -d)
mkdir "$tmp/root"
printf '%s\n' "$content" >"$tmp/root/hello.txt"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -C "$tmp/root" -cf "$tmp/layer.tar" hello.txt
diffid=$(sha256sum <"$tmp/layer.tar" | cut -d' ' -f1)
gzip -n -c "$tmp/layer.tar" >"$tmp/layer.tgz"
put() {
	d=$(sha256sum <"$1" | cut -d' ' -f1)
	cp "$1" "$dir/blobs/sha256/$d"
	echo "$d $(stat -c %s "$1")"
}
# shellcheck disable=SC2046 # two words: digest and size
set -- $(put "$tmp/layer.tgz")
ldig=$1 lsize=$2
printf '{"created":"%s","architecture":"%s","os":"linux","config":{"Cmd":["/hello"],"Labels":{"org.opencontainers.image.created":"%s"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"mkimg.sh"}]}' \
    "$created" "$arch" "$label" "$diffid" "$created" >"$tmp/config.json"
# shellcheck disable=SC2046
set -- $(put "$tmp/config.json")
cdig=$1 csize=$2
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$cdig" "$csize" "$ldig" "$lsize" >"$tmp/manifest.json"
# shellcheck disable=SC2046
set -- $(put "$tmp/manifest.json")
mdig=$1 msize=$2
entry=$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"%s"}}' \
    "$mdig" "$msize" "$arch" "$tag")
if [ -f "$dir/index.json" ]; then
	jq -c --argjson e "$entry" '.manifests += [$e]' "$dir/index.json" >"$tmp/index.json"
else
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' \
	    "$entry" >"$tmp/index.json"
fi
mv "$tmp/index.json" "$dir/index.json"
rm -rf "$tmp"
echo "sha256:$mdig"
