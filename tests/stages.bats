#!/usr/bin/env bats
# The README's example of a user's own stage, run for real behind
# manifest-gen.

load helpers

@test "stages: a jq stage refuses LoadBalancer Services and ends not ok" {
	mkdir -p "$BATS_TEST_TMPDIR/d"
	cat >"$BATS_TEST_TMPDIR/d/svc.yaml" <<'EOF2'
apiVersion: v1
kind: Service
metadata: {name: public}
spec: {type: LoadBalancer}
---
apiVersion: v1
kind: Service
metadata: {name: internal}
spec: {type: ClusterIP}
EOF2
	manifest-gen --dir "$BATS_TEST_TMPDIR/d" >"$BATS_TEST_TMPDIR/in"
	run -0 "$FIXTURES/stages/no-lb.sh" <"$BATS_TEST_TMPDIR/in"
	diff <(printf '%s\n' "$output" | jq -c '[.type, .id // .stage, .ok]') - <<'EOF2'
["error","default:service/public",null]
["object","default:service/internal",null]
["end","manifest-gen",true]
["end","no-lb",false]
EOF2
}
