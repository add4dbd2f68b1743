# helpers.bash: shared by the bats tests. `make check` puts the build's
# tools first on PATH; run directly, the tests use build/bin.

bats_require_minimum_version 1.5.0

SLUICE_BUILD=${SLUICE_BUILD:-$BATS_TEST_DIRNAME/../build}
case $PATH in
"$SLUICE_BUILD/bin":*) ;;
*) PATH="$SLUICE_BUILD/bin:$PATH" ;;
esac
# shellcheck disable=SC2034 # used by the .bats files that load this
FIXTURES=$BATS_TEST_DIRNAME/fixtures

# Diagnostics as JSON lines, whatever the terminal, so tests can read them.
export SLUICE_LOG_FORMAT=json
export GIT_CONFIG_NOSYSTEM=1
export HOME=${BATS_TEST_TMPDIR:-/tmp}

# commit_dir DIR: make DIR a Git repository with everything in it committed
# on branch main; prints the commit id.
commit_dir() {
	git -C "$1" init -q -b main 2>/dev/null || git -C "$1" init -q
	git -C "$1" add -A
	git -C "$1" -c user.name=test -c user.email=test@example.com \
	    commit -q --allow-empty -m "test commit"
	git -C "$1" rev-parse HEAD
}

# revision SOURCE GITDIR COMMIT [PATH...]: a revision record.
revision() {
	local source=$1 gitdir=$2 commit=$3
	shift 3
	jq -nc --arg s "$source" --arg g "$gitdir" --arg c "$commit" \
	    '{type: "revision", source: $s, url: "file:///test",
	      branch: "main", commit: $c, synced: null, gitDir: $g,
	      paths: $ARGS.positional, syncSet: "test"}' --args "$@"
}

# sorted_json: each line of stdin as jq -S -c sees it, to compare records.
sorted_json() {
	jq -S -c .
}

# lines_of_type TYPE: the records of one type, from $output.
lines_of_type() {
	# shellcheck disable=SC2154 # bats' run sets $output
	printf '%s\n' "$output" | jq -c --arg t "$1" 'select(.type == $t)'
}

# jqe FILTER: succeed if FILTER yields at least one value over the records on
# stdin and every value it yields is truthy. (jq 1.6's -e judges only the
# last input, so `jq -e 'select(...)'` over many records misleads.)
jqe() {
	jq -n -e "[inputs | $1] | length > 0 and all"
}

# sync_fixture DIR: DIR becomes a Git repository holding the sync fixture
# (tests/fixtures/sync/repo); prints the commit.
sync_fixture() {
	mkdir -p "$1"
	cp -r "$FIXTURES/sync/repo/." "$1/"
	commit_dir "$1"
}

# rendered REPO [SOURCE]: the stream manifest-gen makes of REPO's HEAD
# (a revision record, the objects, the end records), on stdout.
rendered() {
	local repo=$1 source=${2:-demo}
	revision "$source" "$repo/.git" "$(git -C "$repo" rev-parse HEAD)" |
	    manifest-gen
}

# recommit REPO MESSAGE: commit everything in REPO again; prints the id
recommit() {
	git -C "$1" add -A
	git -C "$1" -c user.name=test -c user.email=test@example.com \
	    commit -q --allow-empty -m "$2"
	git -C "$1" rev-parse HEAD
}

# make_gpg_key NAME: a throwaway ed25519 signing key, no passphrase, in
# $GNUPGHOME; prints its fingerprint and exports its public key to
# $BATS_TEST_TMPDIR/NAME.asc
make_gpg_key() {
	gpg --batch --pinentry-mode loopback --passphrase '' \
	    --quick-gen-key "$1 <$1@example.com>" ed25519 sign never 2>/dev/null
	gpg --batch --with-colons --list-keys "$1@example.com" |
	    awk -F: '$1 == "fpr" { print $10; exit }'
	gpg --batch --armor --export "$1@example.com" >"$BATS_TEST_TMPDIR/$1.asc"
}
