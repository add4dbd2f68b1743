#!/usr/bin/env bats
# The workload commands of the front command (sluice list-workloads,
# list-images, release, automate, deautomate, lock, unlock, policy),
# against a real git daemon and a real docker-registry with images pushed
# by skopeo: what fluxctl did, done on the Git repository itself.

bats_require_minimum_version 1.5.0

load helpers
load servers/git-servers
load servers/registry-servers

setup_file() {
	local t=$BATS_FILE_TMPDIR
	export SRV=$t/srv
	mkdir -p "$SRV"
	start_git_daemon "$SRV"
	export GITD_PORT
	start_registry "$t/reg" noauth
	export REG=$REG_HOST
	push_image "$t/oci" 1.0.0 2024-01-01T00:00:00Z amd64 team/web >/dev/null
	push_image "$t/oci" 1.1.0 2024-01-02T00:00:00Z amd64 team/web >/dev/null
	push_image "$t/oci" 2.0.0 2024-01-03T00:00:00Z amd64 team/web >/dev/null
}

teardown_file() {
	stop_registries
	stop_servers
}

setup() {
	export SLUICE_STATE_DIR=$BATS_TEST_TMPDIR/state
	NAME=r$BATS_TEST_NUMBER
	URL=git://127.0.0.1:$GITD_PORT/$NAME.git
	git_seed_repo "$SRV" "$NAME"
	WEB="# the web app
apiVersion: apps/v1
kind: Deployment
metadata:
   name: web      # odd indentation on purpose
   namespace: prod
spec:
   template:
      spec:
         containers:
         - name: app
           image: $REG/team/web:1.0.0   # keep me
         - name: side
           image: busybox:1.36"
	JOB="apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: prod
  annotations:
    fluxcd.io/locked: 'true'
    fluxcd.io/tag.job: semver:~1.0
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: $REG/team/web:1.0.0"
	git_push_commit "$SRV" "$NAME" "web" apps/web.yaml "$WEB" >/dev/null
	git_push_commit "$SRV" "$NAME" "job" apps/job.yaml "$JOB" >/dev/null
	# the user fluxctl took from git config (outside any repository)
	cd "$BATS_TEST_TMPDIR"
	export GIT_CONFIG_GLOBAL=$BATS_TEST_TMPDIR/gitconfig
	git config --global user.name "Ada Lovelace"
	git config --global user.email ada@example.com
}

git_srv() {
	git --git-dir="$SRV/$NAME.git" "$@"
}

# cmd COMMAND ARGS...: sluice COMMAND on the test's repository
cmd() {
	local c=$1
	shift
	sluice "$c" --git-url "$URL" --git-branch main \
	    --registry-insecure-host "$REG" \
	    --registry-exclude-image 'index.docker.io/*' "$@"
}

@test "list-workloads: a row per container, policies; -o json" {
	run -0 --separate-stderr sluice list-workloads --git-url "$URL" --git-branch main
	[[ ${lines[0]} =~ ^WORKLOAD\ +CONTAINER\ +IMAGE\ +POLICY$ ]]
	# the columns line up: the widest ID, two spaces
	h=${lines[0]%%CONTAINER*} r=${lines[1]%%job *}
	[ "${#h}" -eq 22 ] && [ "${#r}" -eq 22 ]
	[[ ${lines[1]} =~ ^prod:cronjob/nightly\ +job\ +$REG/team/web:1.0.0\ +locked$ ]]
	[[ ${lines[2]} =~ ^prod:deployment/web\ +app\ +$REG/team/web:1.0.0\ *$ ]]
	[[ ${lines[3]} =~ ^\ +side\ +busybox:1.36 ]]
	[ "${#lines[@]}" -eq 4 ]

	run -0 --separate-stderr sluice list-workloads --git-url "$URL" --git-branch main \
	    -o json -c job
	jq -e --arg r "$REG" 'length == 1 and .[0].id == "prod:cronjob/nightly"
	    and .[0].policies == {automated: false, locked: true,
	    ignore: false} and .[0].containers == [{name: "job",
	    image: ($r + "/team/web:1.0.0"), init: false,
	    filter: "semver:~1.0"}]' <<<"$output"

	run -0 --separate-stderr sluice list-workloads --git-url "$URL" --git-branch main \
	    -n other --no-headers
	[ -z "$output" ]
}

@test "list-images: tags newest first by the filter, the one in Git marked" {
	run -0 --separate-stderr cmd list-images -w prod:cronjob/nightly
	[[ ${lines[1]} =~ ^prod:cronjob/nightly\ +job\ +$REG/team/web$ ]]
	# semver:~1.0 lets 1.0.0 only
	[[ ${lines[2]} =~ \'-\>\ 1.0.0\ \ 2024-01-01T00:00:00Z$ ]]
	[ "${#lines[@]}" -eq 3 ]

	run -0 --separate-stderr cmd list-images -w prod:deployment/web -o json
	jq -e '.[0].container == "app" and
	    [.[0].tags[] | .tag] == ["2.0.0", "1.1.0", "1.0.0"] and
	    [.[0].tags[] | .current] == [false, false, true]' <<<"$output"

	run -0 --separate-stderr cmd list-images -w prod:deployment/web -l 1
	[[ ${lines[2]} =~ \ \ \ 2.0.0 ]]
	[[ ${lines[3]} =~ \'-\>\ 1.0.0 ]]	# the current one is always shown
}

@test "release --update-image: one commit, only the tag's bytes change" {
	before=$(git_srv rev-parse main)
	run -0 --separate-stderr cmd release -w prod:deployment/web -i "$REG/team/web:1.1.0"
	[[ ${lines[1]} =~ ^prod:deployment/web\ +success\ +app:\ $REG/team/web:1.0.0\ -\>\ $REG/team/web:1.1.0$ ]]
	[[ ${lines[2]} =~ ^Commit\ pushed:.[0-9a-f]{7}$ ]]
	[ "$(git_srv rev-parse main~1)" = "$before" ]
	[ "$(git_srv log -1 --format=%s main)" = \
	    "Release $REG/team/web:1.1.0 to prod:deployment/web" ]
	[ "$(git_srv log -1 --format='%an <%ae>|%cn' main)" = \
	    "Ada Lovelace <ada@example.com>|sluice" ]
	[ "$(git_srv show main:apps/web.yaml)" = "${WEB/web:1.0.0/web:1.1.0}" ]
	# the CronJob uses the image too, but was not named
	[ "$(git_srv show main:apps/job.yaml)" = "$JOB" ]
}

@test "release: a tag the filter refuses needs --force; locked needs --force" {
	before=$(git_srv rev-parse main)
	run -0 --separate-stderr cmd release -w prod:cronjob/nightly -i "$REG/team/web:2.0.0"
	[[ ${lines[1]} =~ ^prod:cronjob/nightly\ +skipped\ +locked$ ]]
	[ "$(git_srv rev-parse main)" = "$before" ]

	# --force passes the lock, but only the filter with --update-image
	run -0 --separate-stderr cmd release -w prod:cronjob/nightly -i "$REG/team/web:2.0.0" \
	    --force -m "hotfix"
	[[ ${lines[1]} =~ success\ +job:.*-\>\ $REG/team/web:2.0.0$ ]]
	[ "$(git_srv log -1 --format=%B main)" = "hotfix" ]

	# a tag the registry does not have
	run -0 --separate-stderr cmd release -w prod:deployment/web -i "$REG/team/web:9.9.9"
	[[ ${lines[1]} =~ skipped\ +app:\ cannot\ find ]]
}

@test "release --all --update-all-images, --exclude, --dry-run" {
	before=$(git_srv rev-parse main)
	run -0 --separate-stderr cmd release --all --update-all-images --dry-run
	[[ $output =~ prod:deployment/web\ +success\ +app:.*-\>\ $REG/team/web:2.0.0 ]]
	[[ $output =~ prod:cronjob/nightly\ +skipped\ +locked ]]
	[[ $output =~ "Dry run: nothing committed." ]]
	[ "$(git_srv rev-parse main)" = "$before" ]

	run -0 --separate-stderr cmd release --all --update-all-images \
	    --exclude prod:deployment/web
	[[ $output =~ prod:deployment/web\ +ignored\ +excluded ]]
	[ "$(git_srv rev-parse main)" = "$before" ]

	run -0 --separate-stderr cmd release --all --update-all-images
	[ "$(git_srv log -1 --format=%s main)" = \
	    "Release all latest to all" ]
	git_srv show main:apps/web.yaml | grep -qF "image: $REG/team/web:2.0.0   # keep me"
}

@test "release: usage errors" {
	run -64 --separate-stderr cmd release -w prod:deployment/web
	run -64 --separate-stderr cmd release -i "$REG/team/web:1.1.0"
	run -64 --separate-stderr cmd release --all -w x -i "$REG/team/web:1.1.0"
	run -64 --separate-stderr cmd release -w prod:deployment/web -i "$REG/team/web"
}

@test "automate creates annotations at the file's indentation; deautomate removes them" {
	run -0 --separate-stderr sluice automate --git-url "$URL" --git-branch main \
	    -w prod:deployment/web
	[[ ${lines[1]} =~ ^prod:deployment/web\ +success\ +fluxcd.io/automated=true$ ]]
	[ "$(git_srv log -1 --format=%s main)" = \
	    "Automated: prod:deployment/web" ]
	want=${WEB/   namespace: prod/   namespace: prod
   annotations:
      fluxcd.io\/automated: \'true\'}
	[ "$(git_srv show main:apps/web.yaml)" = "$want" ]

	# again: nothing to change, no commit
	head=$(git_srv rev-parse main)
	run -0 --separate-stderr sluice automate --git-url "$URL" --git-branch main \
	    -w prod:deployment/web
	[[ ${lines[1]} =~ skipped\ +no\ change ]]
	[ "$(git_srv rev-parse main)" = "$head" ]

	run -0 --separate-stderr sluice deautomate --git-url "$URL" --git-branch main \
	    -w prod:deployment/web
	[ "$(git_srv log -1 --format=%s main)" = \
	    "Deautomated: prod:deployment/web" ]
	[ "$(git_srv show main:apps/web.yaml)" = "$WEB" ]
}

@test "lock records who and why; unlock removes all three" {
	run -0 --separate-stderr sluice lock --git-url "$URL" --git-branch main \
	    -w prod:deployment/web -m "frozen for the audit"
	[ "$(git_srv log -1 --format=%B main)" = "frozen for the audit

- Locked: prod:deployment/web" ]
	git_srv show main:apps/web.yaml >"$BATS_TEST_TMPDIR/locked"
	grep -qx "      fluxcd.io/locked: 'true'" "$BATS_TEST_TMPDIR/locked"
	grep -qx "      fluxcd.io/locked_user: Ada Lovelace <ada@example.com>" \
	    "$BATS_TEST_TMPDIR/locked"
	grep -qx "      fluxcd.io/locked_msg: frozen for the audit" \
	    "$BATS_TEST_TMPDIR/locked"

	run -0 --separate-stderr sluice unlock --git-url "$URL" --git-branch main \
	    -w prod:deployment/web
	[ "$(git_srv log -1 --format=%s main)" = \
	    "Unlocked: prod:deployment/web" ]
	[ "$(git_srv show main:apps/web.yaml)" = "$WEB" ]
}

@test "policy: tags normalised, '*' removes, several events in one commit" {
	run -0 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:cronjob/nightly --unlock --tag 'job=regex:^1\.' --automate
	[ "$(git_srv log -1 --format=%B main)" = "Updated workload policies

- Automated: prod:cronjob/nightly
- Unlocked: prod:cronjob/nightly
- Updated policies: prod:cronjob/nightly" ]
	git_srv show main:apps/job.yaml >"$BATS_TEST_TMPDIR/job"
	grep -qx "    fluxcd.io/tag.job: 'regexp:^1\\\\.'" "$BATS_TEST_TMPDIR/job" ||
	    grep -qx '    fluxcd.io/tag.job: regexp:^1\\.' "$BATS_TEST_TMPDIR/job"
	grep -qx "    fluxcd.io/automated: 'true'" "$BATS_TEST_TMPDIR/job"
	! grep -q locked "$BATS_TEST_TMPDIR/job"

	run -0 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:cronjob/nightly --tag 'job=*'
	! git_srv show main:apps/job.yaml | grep -q tag.job
	[ "$(git_srv log -1 --format=%s main)" = \
	    "Updated policies: prod:cronjob/nightly" ]

	run -0 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:deployment/web --tag-all 1.*
	[ "$(git_srv show main:apps/web.yaml | grep -c 'tag\.')" -eq 2 ]
	git_srv show main:apps/web.yaml | grep -qx "      fluxcd.io/tag.side: glob:1.\*"
}

@test "policy: bad patterns and containers are refused, nothing committed" {
	before=$(git_srv rev-parse main)
	run -64 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:deployment/web --tag 'app=semver:~>>1'
	[[ $stderr =~ semver ]]
	run -64 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:deployment/web --tag 'app=regexp:('
	run -64 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:deployment/web --tag 'app=a=b'
	run -1 --separate-stderr sluice policy --git-url "$URL" --git-branch main \
	    -w prod:deployment/web --tag 'nosuch=1.*'
	[[ $output =~ "no container 'nosuch'" ]]
	[ "$(git_srv rev-parse main)" = "$before" ]
}

@test "policy --dry-run shows the diff and commits nothing" {
	before=$(git_srv rev-parse main)
	run -0 --separate-stderr sluice automate --git-url "$URL" \
	    --git-branch main -w prod:deployment/web --dry-run
	[[ $output =~ "Dry run: nothing committed." ]]
	[[ $stderr =~ "+      fluxcd.io/automated: 'true'" ]]
	[ "$(git_srv rev-parse main)" = "$before" ]
}

@test "policy, the tool: records in, the same records and a policy record out" {
	git-fetch --git-url "$URL" --git-branch main --source "$NAME" |
	    manifest-gen >"$BATS_TEST_TMPDIR/stream"
	run -0 --separate-stderr policy --git-url "$URL" --git-branch main \
	    --source "$NAME" --workload prod:deployment/web --lock \
	    --user "Bo <bo@example.com>" <"$BATS_TEST_TMPDIR/stream"
	# every record passes through, then policy's own
	[ "$(head -n "$(wc -l <"$BATS_TEST_TMPDIR/stream")" <<<"$output")" = \
	    "$(cat "$BATS_TEST_TMPDIR/stream")" ]
	head=$(git_srv rev-parse main)
	lines_of_type policy | jq -e --arg c "$head" '.id ==
	    "prod:deployment/web" and .set == {"fluxcd.io/locked": "true",
	    "fluxcd.io/locked_user": "Bo <bo@example.com>"} and
	    .removed == [] and .commit == $c and .dryRun == false'
	lines_of_type end | jq -e 'select(.stage == "policy") | .ok and
	    .counts.changed == 1'
	[ "$(git_srv log -1 --format='%an <%ae>' main)" = "Bo <bo@example.com>" ]

	# a stream cut short changes nothing
	head -n 3 "$BATS_TEST_TMPDIR/stream" >"$BATS_TEST_TMPDIR/short"
	run -1 --separate-stderr policy --git-url "$URL" --git-branch main \
	    --source "$NAME" --workload prod:deployment/web --unlock \
	    <"$BATS_TEST_TMPDIR/short"
	lines_of_type end | jq -e 'select(.stage == "policy") | .ok == false
	    and (.message | test("incomplete"))'
	[ "$(git_srv rev-parse main)" = "$head" ]
}
