#!/usr/bin/env bats
# gc on the dir: target (no cluster): what is pruned, and above all what
# is not. Against the test API server: tests/kube-target.bats.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	OUT=$T/out
	sync_fixture "$T/repo" >/dev/null
}

# pass STATUS [GC-FLAGS...]: one sync pass over the repo's HEAD into
# $OUT, which must exit STATUS (-0, -1); the stream in $output
pass() {
	local status=$1
	shift
	run --separate-stderr "$status" bash -c '
	    rendered "$1" | kube-apply --target "dir:$2" |
	    gc --target "dir:$2" --state-dir "$3" "${@:4}"' - \
	    "$T/repo" "$OUT" "$T/state" "$@"
}
export -f rendered revision

deleted_ids() {
	lines_of_type deleted | jq -r .id
}

@test "gc: unknown record types pass through unchanged" {
	run -0 gc --target "dir:$OUT" <<<'{"type":"not-yet-invented","x":1}'
	[ "$output" = '{"type":"not-yet-invented","x":1}' ]
}

@test "gc: empty input gives empty output and 0" {
	run -0 gc --target "dir:$OUT" </dev/null
	[ -z "$output" ]
}

@test "gc: a line that is not JSON is a data error naming it" {
	run --separate-stderr -65 gc --target "dir:$OUT" <<<'{"type":1'
	[[ $stderr == *'line 1'* ]]
}

@test "gc: stdout to /dev/full gives 74" {
	run -74 bash -c 'gc --target "dir:$1" <<<"{\"type\":\"x\"}" >/dev/full' - "$OUT"
}

@test "gc: bad flags give 64" {
	run -64 gc --no-such-flag
	run -64 gc --concurrency x
}

@test "gc: an object removed from Git is deleted on the next pass" {
	pass -0
	[ -z "$(deleted_ids)" ]
	lines_of_type end | jqe 'select(.stage == "gc") | .ok'
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	pass -0
	[ "$(deleted_ids)" = shop:secret/web-token ]
	[ ! -e "$OUT/shop/secret/web-token.yaml" ]
	[ -e "$OUT/shop/deployment/web.yaml" ]
}

@test "gc: --dry-run deletes nothing and says what would go" {
	pass -0
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	pass -0 --dry-run
	lines_of_type deleted | jqe '.id == "shop:secret/web-token" and .dryRun'
	[ -e "$OUT/shop/secret/web-token.yaml" ]
}

@test "gc: a file that failed to parse keeps its objects" {
	pass -0
	printf 'apiVersion: v1\nkind: [broken\n' >"$T/repo/apps/web.yaml"
	recommit "$T/repo" "break it" >/dev/null
	# gc itself exits 0: manifest-gen's own status reports the failure
	pass -0
	[ -z "$(deleted_ids)" ]
	[ -e "$OUT/shop/deployment/web.yaml" ]
	lines_of_type end | jqe 'select(.stage == "gc") | .ok == false and
	    (.message | test("manifest-gen did not end ok"))'
}

@test "gc: a half stream deletes nothing" {
	pass -0
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	# manifest-gen killed before its end record
	rendered "$T/repo" | grep -v '"type":"end"' >"$T/half"
	run --separate-stderr bash -c 'kube-apply --target "dir:$1" <"$2" |
	    gc --target "dir:$1" --state-dir "$3"' - "$OUT" "$T/half" "$T/state"
	[ -z "$(deleted_ids)" ]
	[ -e "$OUT/shop/secret/web-token.yaml" ]
	lines_of_type end | jqe 'select(.stage == "gc") | .ok == false'
}

@test "gc: objects with ignore: sync_only or an owner are kept" {
	pass -0
	sed -i 's/^  annotations:$/  annotations:\n    fluxcd.io\/ignore: sync_only/' \
	    "$OUT/shop/secret/web-token.yaml"
	grep -q sync_only "$OUT/shop/secret/web-token.yaml" ||
	    sed -i 's/^metadata:$/metadata:\n  annotations:\n    fluxcd.io\/ignore: sync_only/' \
	    "$OUT/shop/secret/web-token.yaml"
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	pass -0
	[ -z "$(deleted_ids)" ]
	[ -e "$OUT/shop/secret/web-token.yaml" ]
	lines_of_type end | jqe 'select(.stage == "gc") | .counts.kept == 1'
}

@test "gc: objects of another source are never touched" {
	pass -0
	# the same objects, applied by a source with another sync set
	mkdir -p "$T/other"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: theirs, namespace: shop}\n' \
	    >"$T/other/cm.yaml"
	commit_dir "$T/other" >/dev/null
	rendered "$T/other" other | jq -c 'if .type == "revision"
	    then .syncSet = "another-set" else . end' |
	    kube-apply --target "dir:$OUT" >/dev/null
	[ -e "$OUT/shop/configmap/theirs.yaml" ]
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	pass -0
	[ "$(deleted_ids)" = shop:secret/web-token ]
	[ -e "$OUT/shop/configmap/theirs.yaml" ]
}

@test "gc: the first pass over a source deletes nothing, the next prunes" {
	# objects a previous owner marked for this source, no longer in Git
	pass -0
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	rm -rf "$T/state"	# as if this were the first run of the source
	pass -0
	lines_of_type deleted | jqe '.id == "shop:secret/web-token" and .dryRun'
	[ -e "$OUT/shop/secret/web-token.yaml" ]
	lines_of_type end | jqe 'select(.stage == "gc") |
	    .message | test("first pass")'
	[ -s "$T/state/demo/inventory" ]
	pass -0
	lines_of_type deleted | jqe '.id == "shop:secret/web-token" and
	    (.dryRun | not)'
	[ ! -e "$OUT/shop/secret/web-token.yaml" ]
}

@test "gc: deletes in the reverse of the apply order" {
	pass -0
	git -C "$T/repo" rm -q -r apps infra/namespace.yaml
	recommit "$T/repo" "almost everything goes" >/dev/null
	pass -0
	diff <(deleted_ids) - <<'EOF2'
shop:deployment/web
shop:configmap/web-config
shop:secret/web-token
shop:service/web
<cluster>:namespace/shop
EOF2
}

@test "gc: with an inventory, only objects that left Git are looked at; --full looks at all" {
	pass -0
	pass -0
	grep -q '^O	shop:secret/web-token	v1	Secret$' "$T/state/demo/inventory"
	# an object marked for this source that no inventory knows (a pass
	# cut between kube-apply and gc): a normal pass does not see it
	sync_set=$(rendered "$T/repo" | head -n 1 | jq -r .syncSet)
	mark=$(printf '%s%s' "$sync_set" "shop:configmap/stray" |
	    openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
	sed "s/web-config/stray/; s/sync-gc-mark: .*/sync-gc-mark: sha256.$mark/" \
	    "$OUT/shop/configmap/web-config.yaml" >"$OUT/shop/configmap/stray.yaml"
	pass -0
	[ -z "$(lines_of_type deleted)" ]
	[ -e "$OUT/shop/configmap/stray.yaml" ]
	# --full lists every kind and finds it
	pass -0 --full
	[ "$(lines_of_type deleted | jq -r .id)" = shop:configmap/stray ]
	[ ! -e "$OUT/shop/configmap/stray.yaml" ]
}

@test "gc: an inventory of kinds only (an older sluice) is read and upgraded" {
	pass -0
	pass -0
	printf 'v1\tSecret\napps/v1\tDeployment\nv1\tConfigMap\n' >"$T/state/demo/inventory"
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	pass -0
	[ "$(lines_of_type deleted | jq -r .id)" = shop:secret/web-token ]
	head -n 1 "$T/state/demo/inventory" | grep -q 'inventory 2'
	grep -q '^O	shop:deployment/web	apps/v1	Deployment$' "$T/state/demo/inventory"
}
