#!/bin/sh
# pass.sh: the supervisor behind `sluice sync|images|run|status|config`.
# The front command runs it as `sh pass.sh COMMAND ARGS...` with PATH
# already holding the tools. See sluice(1) and sluice.env(5).
#
#   sync pass        git-fetch | manifest-gen | kube-apply | gc
#   automation pass  git-fetch | manifest-gen | img-scan   | img-update
#
# A source is one env file (systemd EnvironmentFile= format), read here
# line by line and never sourced: a line of it can never run a command.
# Values in the file win over the environment, which supplies the rest
# (systemd has put the same file there already).
#
# Every stage's exit status is collected; a pass exits with the first
# failure that is a cause (141, SIGPIPE, only when nothing else failed),
# 75 when another pass holds the source's lock, 78 for a bad env file.
# The sync tag is moved only when every stage exited 0 and every "end"
# record in the stream said ok for the commit fetched.
set -eu

me=sluice
summary_jq=${0%/*}/pass-summary.jq
nl='
'
tab='	'
now () { date +%s; }

# clock: the time, from one date: $tns (ns since 1970) and $t (seconds)
clock () {
	tns=$(date +%s%N)
	t=${tns%?????????}
}

# iso T: T (seconds since 1970) as jq's todate writes it, in $iso;
# civil from days (H. Hinnant's algorithm), without a fork
iso () {
	z=$(($1 / 86400 + 719468)) r=$(($1 % 86400))
	era=$((z / 146097))
	doe=$((z - era * 146097))
	yoe=$(((doe - doe / 1460 + doe / 36524 - doe / 146096) / 365))
	doy=$((doe - (365 * yoe + yoe / 4 - yoe / 100)))
	mp=$(((5 * doy + 2) / 153))
	d=$((doy - (153 * mp + 2) / 5 + 1))
	mo=$((mp < 10 ? mp + 3 : mp - 9))
	y=$((yoe + era * 400 + (mo <= 2)))
	h=$((r / 3600)) mi=$((r % 3600 / 60)) s=$((r % 60))
	for v in mo d h mi s; do
		eval "case \$$v in ?) $v=0\$$v ;; esac"
	done
	iso=$y-$mo-${d}T$h:$mi:${s}Z
}

# epoch TIME: TIME in seconds since 1970 in $epoch, or fail. What jq's
# todate writes (2006-01-02T15:04:05Z) is read here; the rest, and what
# iso does not write back the same (a 30 February), is date's to read.
epoch () {
	case $1 in
	[1-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z)
		;;
	*)
		epoch=$(date -u -d "$1" +%s 2>/dev/null)
		return ;;
	esac
	y=${1%%-*} r=${1#*-}
	mo=${r%%-*} r=${r#*-}
	d=${r%%T*} r=${r#*T}
	h=${r%%:*} r=${r#*:}
	mi=${r%%:*} s=${r#*:}
	# no leading zeros: 08 is not octal
	mo=${mo#0} d=${d#0} h=${h#0} mi=${mi#0} s=${s%Z}
	s=${s#0}
	y=$((y - (mo <= 2)))
	era=$((y / 400))
	yoe=$((y - era * 400))
	doy=$(((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1))
	doe=$((yoe * 365 + yoe / 4 - yoe / 100 + doy))
	epoch=$(((era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s))
	iso "$epoch"
	[ "$iso" = "$1" ] ||
	    epoch=$(date -u -d "$1" +%s 2>/dev/null)
}

# log LEVEL MSG: one diagnostic line, JSON unless stderr is a terminal
log () {
	if [ -t 2 ] && [ "${SLUICE_LOG_FORMAT:-auto}" != json ]; then
		printf '%s: %s\n' "$me" "$2" >&2
	else
		jq -nc --arg l "$1" --arg t "$me" --arg m "$2" \
		    --arg s "${source:-}" \
		    '{level: $l, tool: $t, msg: $m} +
		     (if $s == "" then {} else {source: $s} end)' >&2
	fi
}

die () {	# die STATUS MSG
	log error "$2"
	exit "$1"
}

# q ARG: ARG quoted for eval
q () {
	printf "'%s' " "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# ---- the env file ----

# The variables of a source: NAME:KIND, KIND one of str, bool, dur, int,
# list (comma- or blank-separated), url, secret (never printed).
VARS='GIT_URL:url GIT_BRANCH:str GIT_PATH:list GIT_SYNC_TAG:str
GIT_LABEL:str GIT_READONLY:bool GIT_TIMEOUT:dur GIT_SSH_KEY:str
GIT_KNOWN_HOSTS:str GIT_CA_FILE:str GIT_HTTP_USER:str
GIT_HTTP_PASSWORD_FILE:str SLUICE_GIT_PASSWORD:secret
GIT_VERIFY_SIGNATURES_MODE:str GIT_GPG_KEY_IMPORT:list GIT_USER:str
GIT_EMAIL:str GIT_SIGNING_KEY:str GIT_CI_SKIP:bool GIT_CI_SKIP_MESSAGE:str
GIT_POLL_INTERVAL:dur SYNC_INTERVAL:dur AUTOMATION_INTERVAL:dur
K8S_DEFAULT_NAMESPACE:str MANIFEST_GENERATION:bool SYNC_TIMEOUT:dur
TARGET:str KUBECONFIG:str CONTEXT:str CONCURRENCY:int TIMEOUT:dur
ESTABLISH_TIMEOUT:dur K8S_ALLOW_NAMESPACE:list DRY_RUN:bool
SYNC_GARBAGE_COLLECTION:bool SYNC_GARBAGE_COLLECTION_DRY:bool
REGISTRY_DISABLE_SCANNING:bool REGISTRY_INCLUDE_IMAGE:list
REGISTRY_EXCLUDE_IMAGE:list REGISTRY_USE_LABELS:list REGISTRY_RPS:int
REGISTRY_BURST:int REGISTRY_TIMEOUT:dur REGISTRY_INSECURE_HOST:list
REGISTRY_CA_FILE:str DOCKER_CONFIG:str PLATFORM:str CACHE_DIR:str
NOTIFY_URL:secret NOTIFY_FORMAT:str METRICS_DIR:str
SYNC_STAGES_AFTER_FETCH:str SYNC_STAGES_BEFORE_APPLY:str
SYNC_STAGES_AFTER_APPLY:str SYNC_STAGES_AFTER_GC:str
AUTOMATION_STAGES_BEFORE_SCAN:str AUTOMATION_STAGES_BEFORE_UPDATE:str
AUTOMATION_STAGES_AFTER_UPDATE:str
SLUICE_STATE_DIR:str SLUICE_LOG_FORMAT:str'

kind_of () {	# kind_of NAME: its kind in $k, or fail
	for kv in $VARS; do
		if [ "${kv%%:*}" = "$1" ]; then
			k=${kv#*:}
			return 0
		fi
	done
	k=
	return 1
}

# ours NAME: a name that looks like one of ours (a misspelt one is an error)
ours () {
	case $1 in
	GIT_* | SYNC_* | REGISTRY_* | K8S_* | KUBE* | MANIFEST_* | \
	AUTOMATION_* | NOTIFY_* | METRICS_* | SLUICE_* | DOCKER_* | TARGET | \
	CONTEXT | CONCURRENCY | TIMEOUT | ESTABLISH_TIMEOUT | DRY_RUN | \
	PLATFORM | CACHE_DIR)
		return 0 ;;
	esac
	return 1
}

errors=0
cfg_error () {	# cfg_error LINE MSG
	printf '%s: %s%s: %s\n' "$me" "$config" "${1:+:$1}" "$2" >&2
	errors=$((errors + 1))
}

# read_config FILE: set each KEY=VALUE of FILE as a shell variable
# (exported), and remember where: line_KEY
read_config () {
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line#"${line%%[![:space:]]*}"}
		line=${line%"${line##*[![:space:]]}"}
		case $line in
		'' | '#'* | ';'*) continue ;;
		*\\) cfg_error "$n" 'line continuations are not supported'
			continue ;;
		*=*) ;;
		*) cfg_error "$n" "not KEY=VALUE: '$(printf '%.40s' "$line")'"
			continue ;;
		esac
		key=${line%%=*}
		key=${key%"${key##*[![:space:]]}"}
		value=${line#*=}
		value=${value#"${value%%[![:space:]]*}"}
		case $key in
		'' | [0-9]* | *[!A-Za-z0-9_]*)
			cfg_error "$n" "'$key' is not a variable name"
			continue ;;
		esac
		case $value in
		\"*\")
			value=${value#\"} value=${value%\"}
			case $value in
			*\\*) value=$(printf '%s' "$value" |
			    sed 's/\\\(["\\]\)/\1/g') ;;
			esac ;;
		\'*\')
			value=${value#\'} value=${value%\'} ;;
		\"* | \'*)
			cfg_error "$n" "$key: unbalanced quote"
			continue ;;
		esac
		if ! kind_of "$key" && ours "$key"; then
			cfg_error "$n" "unknown variable '$key'"
			continue
		fi
		# the name is checked above, and the value is not expanded
		eval "$key=\$value; export $key; line_$key=$n"
	done <"$config"
}

# bool NAME: 0 if the variable is true (validated by check_config)
bool () {
	b=
	eval "b=\${$1:-}"
	case $b in
	true | yes | 1 | True | TRUE | Yes | YES | on | On | ON) return 0 ;;
	esac
	return 1
}

# seconds DURATION: a Go duration (30s, 5m, 1h30m, 500ms) in whole
# seconds (at least 1) in $secs, or fail. Whole hours, minutes and
# seconds are summed here, without a fork; fractions and milliseconds
# (and sums too big for awk to print whole) are awk's, which has always
# rounded them.
seconds () {
	x=$1 secs=0
	case $x in
	'' | *.* | *ms*) seconds_awk "$1"; return ;;
	esac
	while [ -n "$x" ]; do
		n=${x%%[!0-9]*}
		x=${x#"$n"}
		case $n in
		'') return 1 ;;
		??????????*) seconds_awk "$1"; return ;;
		esac
		n=${n#"${n%%[!0]*}"}	# 010 is not octal
		case $x in
		h*) secs=$((secs + ${n:-0} * 3600)) x=${x#h} ;;
		m*) secs=$((secs + ${n:-0} * 60)) x=${x#m} ;;
		s*) secs=$((secs + ${n:-0})) x=${x#s} ;;
		*) return 1 ;;
		esac
	done
	if [ "$secs" -gt 2147483647 ]; then
		seconds_awk "$1"
	elif [ "$secs" -lt 1 ]; then
		secs=1
	fi
}

seconds_awk () {
	secs=$(printf '%s\n' "$1" | awk '
	/^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/ {
		s = 0; x = $0
		while (x != "") {
			match(x, /^[0-9]+(\.[0-9]+)?/)
			v = substr(x, 1, RLENGTH); x = substr(x, RLENGTH + 1)
			if (substr(x, 1, 2) == "ms") { s += v / 1000; x = substr(x, 3) }
			else {
				u = substr(x, 1, 1); x = substr(x, 2)
				s += v * (u == "h" ? 3600 : u == "m" ? 60 : 1)
			}
		}
		s = int(s + 0.999); if (s < 1) s = 1
		print s; ok = 1
	}
	END { exit !ok }')
}

# check_config: validate every variable set; count errors
check_config () {
	for v in $VARS; do
		name=${v%%:*} kind=${v#*:} val='' ln=''
		eval "set=\${$name+x} val=\${$name-} ln=\${line_$name-}"
		# shellcheck disable=SC2154 # set by the eval above
		[ -n "$set" ] || continue
		case $kind in
		bool)
			case $val in
			true | false | yes | no | 1 | 0 | True | False | TRUE | \
			FALSE | Yes | No | YES | NO | on | off | On | Off | ON | OFF)
				;;
			*) cfg_error "$ln" "$name: '$val' is not a boolean (true, false, yes, no, 1, 0)" ;;
			esac ;;
		dur)
			seconds "$val" ||
			    cfg_error "$ln" "$name: '$val' is not a duration (30s, 5m, 1h30m)" ;;
		int)
			case $val in
			'' | *[!0-9]*) cfg_error "$ln" "$name: '$val' is not a number" ;;
			esac ;;
		esac
	done
	if [ -z "${GIT_URL:-}" ]; then
		cfg_error "" 'GIT_URL is not set (the repository to sync)'
	fi
	case ${GIT_VERIFY_SIGNATURES_MODE:-none} in
	none | all | first-parent) ;;
	*) cfg_error "${line_GIT_VERIFY_SIGNATURES_MODE:-}" \
	    "GIT_VERIFY_SIGNATURES_MODE: '$GIT_VERIFY_SIGNATURES_MODE' is not none, all or first-parent" ;;
	esac
	case ${TARGET:-kube} in
	kube | dir:?*) ;;
	*) cfg_error "${line_TARGET:-}" "TARGET: '$TARGET' is not kube or dir:PATH" ;;
	esac
	case ${NOTIFY_FORMAT:-generic} in
	slack | generic) ;;
	*) cfg_error "${line_NOTIFY_FORMAT:-}" "NOTIFY_FORMAT: '$NOTIFY_FORMAT' is not slack or generic" ;;
	esac
	case ${NOTIFY_URL:-http://x} in
	http://?* | https://?*) ;;
	*) cfg_error "${line_NOTIFY_URL:-}" 'NOTIFY_URL: not an http(s) URL' ;;
	esac
	for v in GIT_POLL_INTERVAL SYNC_INTERVAL AUTOMATION_INTERVAL; do
		eval "val=\${$v:-5m}"
		# shellcheck disable=SC2154 # set by the eval above
		seconds "$val" || continue
		eval "${v}_S=$secs"
	done
}

# load [--config FILE] SOURCE: read and check the source's configuration;
# sets $source, $config, $state, $sdir. Exits 64 or 78.
load () {
	config=
	if [ "${1-}" = --config ]; then
		[ $# -ge 2 ] || die 64 '--config needs a file'
		config=$2
		shift 2
	fi
	[ $# -eq 1 ] || die 64 "usage: sluice $cmd [--config FILE] SOURCE"
	source=$1
	case $source in
	'' | .* | *[!A-Za-z0-9._@-]*)
		die 64 "'$source' is not a source name (letters, digits, . _ - @)" ;;
	esac
	[ -n "$config" ] ||
	    config=${SLUICE_CONFIG_DIR:-/etc/sluice}/$source.env
	[ -r "$config" ] || die 78 "cannot read '$config'"
	read_config
	check_config
	[ "$errors" -eq 0 ] || die 78 "$config: $errors error(s)"
	# the state: SLUICE_STATE_DIR, else systemd's StateDirectory=sluice/%i
	if [ -n "${SLUICE_STATE_DIR:-}" ]; then
		state=$SLUICE_STATE_DIR
	elif [ -n "${STATE_DIRECTORY:-}" ]; then
		state=${STATE_DIRECTORY%%:*}
		[ "${state##*/}" != "$source" ] || state=${state%/*}
	else
		state=/var/lib/sluice
	fi
	SLUICE_STATE_DIR=$state
	export SLUICE_STATE_DIR
	sdir=$state/$source
}

# ---- flags for each stage, from the variables, quoted for eval ----
# Each *_flags function appends to $F; no fork unless a value holds a '.

add () {	# add WORD...: append each to $F, quoted for eval
	for w in "$@"; do
		case $w in
		*\'*) w=$(printf '%s' "$w" | sed "s/'/'\\\\''/g") ;;
		esac
		F="$F'$w' "
	done
}

opt () {	# opt FLAG VAR: FLAG VALUE if VAR is set and not empty
	eval "o=\${$2:-}"
	# shellcheck disable=SC2154 # set by the eval above
	[ -z "$o" ] || add "$1" "$o"
}

optlist () {	# optlist FLAG VAR: FLAG once for each item of VAR
	eval "o=\${$2:-}"
	set -f
	oldifs=$IFS
	IFS=', 	'
	# shellcheck disable=SC2086 # split on purpose, no globbing
	for item in $o; do
		add "$1" "$item"
	done
	IFS=$oldifs
	set +f
}

optbool () {	# optbool FLAG VAR
	! bool "$2" || add "$1"
}

git_flags () {	# what git-fetch and img-update share
	opt --git-url GIT_URL
	opt --git-branch GIT_BRANCH
	add --source "$source" --state-dir "$state"
	optbool --git-readonly GIT_READONLY
	opt --git-timeout GIT_TIMEOUT
	opt --git-ssh-key GIT_SSH_KEY
	opt --git-known-hosts GIT_KNOWN_HOSTS
	opt --git-ca-file GIT_CA_FILE
	opt --git-http-user GIT_HTTP_USER
	opt --git-http-password-file GIT_HTTP_PASSWORD_FILE
	opt --git-user GIT_USER
	opt --git-email GIT_EMAIL
	opt --git-signing-key GIT_SIGNING_KEY
}

fetch_flags () {
	git_flags
	optlist --git-path GIT_PATH
	opt --git-sync-tag GIT_SYNC_TAG
	opt --git-label GIT_LABEL
	opt --git-verify-signatures-mode GIT_VERIFY_SIGNATURES_MODE
	optlist --git-gpg-key-import GIT_GPG_KEY_IMPORT
}

gen_flags () {
	add --state-dir "$state"
	add --cache	# both passes: the lock keeps them from overlapping
	opt --k8s-default-namespace K8S_DEFAULT_NAMESPACE
	optbool --manifest-generation MANIFEST_GENERATION
	opt --sync-timeout SYNC_TIMEOUT
}

kube_flags () {	# what kube-apply and gc share
	opt --target TARGET
	opt --kubeconfig KUBECONFIG
	opt --context CONTEXT
	opt --concurrency CONCURRENCY
	opt --timeout TIMEOUT
}

apply_flags () {
	kube_flags
	opt --establish-timeout ESTABLISH_TIMEOUT
	optlist --k8s-allow-namespace K8S_ALLOW_NAMESPACE
	optbool --dry-run DRY_RUN
	# what was applied: between --full passes, what Git did not change
	# costs no request
	add --state-dir "$state"
}

gc_flags () {
	kube_flags
	add --state-dir "$state"
	if bool DRY_RUN || bool SYNC_GARBAGE_COLLECTION_DRY; then
		add --dry-run
	fi
}

scan_flags () {
	add --state-dir "$state"
	optlist --registry-include-image REGISTRY_INCLUDE_IMAGE
	optlist --registry-exclude-image REGISTRY_EXCLUDE_IMAGE
	optlist --registry-use-labels REGISTRY_USE_LABELS
	opt --registry-rps REGISTRY_RPS
	opt --registry-burst REGISTRY_BURST
	opt --registry-timeout REGISTRY_TIMEOUT
	optlist --registry-insecure-host REGISTRY_INSECURE_HOST
	opt --registry-ca-file REGISTRY_CA_FILE
	opt --docker-config DOCKER_CONFIG
	opt --platform PLATFORM
	opt --cache-dir CACHE_DIR
}

update_flags () {
	git_flags
	optbool --git-ci-skip GIT_CI_SKIP
	opt --git-ci-skip-message GIT_CI_SKIP_MESSAGE
	optbool --manifest-generation MANIFEST_GENERATION
	opt --sync-timeout SYNC_TIMEOUT
	optbool --dry-run DRY_RUN
}

# ---- running a pass ----

# stage NAME CMD: add a stage (CMD quoted for eval) to the pass
nstages=0
stage () {
	nstages=$((nstages + 1))
	eval "sname_$nstages=\$1 scmd_$nstages=\$2"
}

# user_stages VAR: the user's stages of VAR ("cmd args | cmd args"),
# split on blanks and "|", no quoting, no globbing, never eval'd as text
user_stages () {
	eval "u=\${$1:-}"
	# shellcheck disable=SC2154 # set by the eval above
	rest=$u
	while [ -n "$rest" ]; do
		part=${rest%%|*}
		F='' first=''
		set -f
		# shellcheck disable=SC2086 # split on blanks on purpose
		for w in $part; do
			[ -n "$first" ] || first=$w
			add "$w"
		done
		set +f
		[ -z "$F" ] || stage "$first" "$F"
		case $rest in
		*'|'*) rest=${rest#*|} ;;
		*) rest= ;;
		esac
	done
}

# sync_stages: the sync pass after git-fetch, with the user's stages
# (kube-apply --full when $full is set). The flags are made in $F here,
# not in a subshell each.
sync_stages () {
	user_stages SYNC_STAGES_AFTER_FETCH
	F=
	gen_flags
	stage manifest-gen "manifest-gen $F"
	user_stages SYNC_STAGES_BEFORE_APPLY
	F=
	apply_flags
	stage kube-apply "kube-apply ${full:+--full }$F"
	user_stages SYNC_STAGES_AFTER_APPLY
	if bool SYNC_GARBAGE_COLLECTION || bool SYNC_GARBAGE_COLLECTION_DRY; then
		F=
		gc_flags
		stage gc "gc $F"
	fi
	user_stages SYNC_STAGES_AFTER_GC
}

# images_stages: the automation pass after git-fetch
images_stages () {
	F=
	gen_flags
	stage manifest-gen "manifest-gen $F"
	user_stages AUTOMATION_STAGES_BEFORE_SCAN
	F=
	scan_flags
	stage img-scan "img-scan $F"
	user_stages AUTOMATION_STAGES_BEFORE_UPDATE
	F=
	update_flags
	stage img-update "img-update $F"
	user_stages AUTOMATION_STAGES_AFTER_UPDATE
}

# run_stages IN OUT: run the stages after the first (git-fetch, which
# fetch ran) as one pipeline from file IN; the last stage's records go to
# OUT (and, all but object bodies, to the journal). Sets rc_I for each
# stage and $status.
run_stages () {
	in=$1 out=$2 i=2
	# the fifos between the stages, all in one mkfifo
	set -- "$dir/tail.fifo"
	while [ "$i" -lt "$nstages" ]; do
		set -- "$@" "$dir/s$i"
		i=$((i + 1))
	done
	mkfifo "$@"
	i=1 pids=
	while [ "$i" -lt "$nstages" ]; do
		i=$((i + 1))
		eval "cmd=\$scmd_$i"
		if [ "$i" -eq "$nstages" ]; then
			# shellcheck disable=SC2154 # set by the eval above
			eval "$cmd" <"$in" 9>&- >"$dir/tail.fifo" &
			pids="$pids $!"
		else
			eval "$cmd" <"$in" 9>&- >"$dir/s$i" &
			pids="$pids $!"
			in=$dir/s$i
		fi
	done
	# object records carry bodies (Secrets too): never in the journal
	tee "$out" <"$dir/tail.fifo" | grep -v '^{"type":"object"' >&2 || true
	i=1
	for pid in $pids; do
		i=$((i + 1))
		wait "$pid" && rc=0 || rc=$?
		eval "rc_$i=$rc"
		cause "$rc"
	done
}

status=0
cause () {	# cause RC: keep the first failure in $status
	if [ "$1" -ne 0 ] &&
	    { [ "$status" -eq 0 ] || [ "$status" -eq 141 ]; }; then
		status=$1
	fi
}

# lock: take the source's lock on fd 9, or exit 75
lock () {
	[ -d "$sdir" ] || mkdir -p "$sdir"
	exec 9>"$sdir/lock"
	if ! flock -n 9; then
		log warning "another pass over '$source' holds $sdir/lock"
		exit 75
	fi
}

start_pass () {
	clock
	t0=$t t0ns=$tns t1ns='' mode=fetch marked=no dir='' fetched='' p_mode=''
	trap '[ -z "$dir" ] || rm -rf "$dir"' EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
	lock
}

# need_dir: the pass's temporary folder $dir, made when first needed (a
# pass that ends after the fetch needs none), with git-fetch's records in
# $dir/fetch
need_dir () {
	[ -z "$dir" ] || return 0
	dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-pass.XXXXXX")
	{ [ -z "$fetched" ] || printf '%s\n' "$fetched"; } >"$dir/fetch"
}

# hexval KEY REC: the value of "KEY":"HEX" in the record REC, in $hex,
# or fail. A '"' inside a JSON string is always escaped, so '"KEY":"'
# can only be a key.
hexval () {
	case $2 in
	*"\"$1\":\""*) ;;
	*) return 1 ;;
	esac
	v=${2#*"\"$1\":\""}
	hex=${v%%[!0-9a-f]*}
	case $v in
	"$hex\""*) return 0 ;;
	esac
	return 1
}

# fetch: run git-fetch, its records into $fetched (and the journal); sets
# $commit, $synced, $fetch_ok. The records are read here, in the shell:
# a poll that finds nothing new must stay cheap, and jq alone takes 25 ms
# to start. git-fetch's own records, one per line.
fetch () {
	stage git-fetch ""
	F=
	fetch_flags
	fetched=$(eval "git-fetch $F" 9>&-) && rc_1=0 || rc_1=$?
	cause "$rc_1"
	commit='' synced='' fetch_ok=false
	oldifs=$IFS
	IFS=$nl
	set -f
	# shellcheck disable=SC2086 # split into lines on purpose, no globbing
	set -- $fetched
	set +f
	IFS=$oldifs
	for rec; do
		case $rec in
		'{"type":"revision",'*)
			! hexval commit "$rec" || commit=$hex
			! hexval synced "$rec" || synced=$hex
			;;
		'{"type":"end","stage":"git-fetch",'*'"ok":true'*)
			fetch_ok=true ;;
		esac
	done
}

# last_sync: what the summary of the last sync pass says: $last_full,
# when the last full re-apply ended (seconds since 1970), and, for a pass
# that ends after the fetch, what its summary keeps of it ($p_*), once
# the metrics file is checked to be the one written with that summary
# (see quick_summary). One sed reads both.
last_sync () {
	last_full='' p_mode='' lf=''
	[ -s "$sdir/sync.json" ] || return 0
	prom=
	[ -z "${METRICS_DIR:-}" ] || prom=$METRICS_DIR/sluice-$source.prom
	[ -z "$prom" ] || [ -s "$prom" ] || prom=/dev/null
	# pass-summary.jq's keys in its order, values free of blanks
	# and commas (timestamps, numbers, null) but the kept lists
	last=$(sed -n -e '/^{/{
s/^{"source":"[^"\\]*","pass":"sync","mode":"\([a-z]*\)","startedAt":[^ ,\\]*,"finishedAt":\([^ ,\\]*\),"durationSeconds":\([^ ,\\]*\),"exit":\([0-9]*\),"ok":[a-z]*,"commit":[^ ,\\]*,"synced":[^ ,\\]*,"syncedAt":\([^ ,\\]*\),"lastSuccessAt":\([^ ,\\]*\),"lastFullSyncAt":\([^ ,\\]*\),\("stages":.*,"updates":\[\],"errors":\[.*\],\)"images":[0-9]*,"changed":[a-z]*}$/= \1 \2 \3 \4 \5 \6 \7 \8/p
t
s/.*"lastFullSyncAt":"\([^"]*\)".*/- "\1"/p
}' -e '/^sluice_pass_[a-z_]*{source="[^"]*",pass="sync"} /p' \
	    "$sdir/sync.json" ${prom:+"$prom"})
	oldifs=$IFS
	IFS=$nl
	set -f
	# shellcheck disable=SC2086 # split into lines on purpose, no globbing
	set -- $last
	set +f
	IFS=$oldifs
	case ${1-} in
	'- '*)
		lf=${1#- } ;;
	'= '*)
		r=${1#= }
		p_mode=${r%% *} r=${r#* }
		p_finished=${r%% *} r=${r#* }
		p_dur=${r%% *} r=${r#* }
		p_exit=${r%% *} r=${r#* }
		p_synced_at=${r%% *} r=${r#* }
		p_success=${r%% *} r=${r#* }
		p_full=${r%% *} p_keep=${r#* }
		lf=$p_full
		;;
	esac
	case $lf in
	\"?*\")
		unquote "$lf"
		! epoch "$u" || last_full=$epoch ;;
	esac
	[ -n "$p_mode" ] || return 0
	# updates and errors as a pass that ends after the fetch writes
	# them: always so after one, else only when both are empty
	case $p_mode,$p_keep in
	fetch,* | *',"updates":[],"errors":[],') ;;
	*) p_mode=; return 0 ;;
	esac
	[ -n "$prom" ] || return 0
	# the metrics file must be the one written with that summary: its
	# lines of the sync pass say what the summary says
	was=$p_mode p_mode=
	unquote "$p_finished"
	epoch "$u" || return 0
	lab="{source=\"$source\",pass=\"sync\"}"
	want="sluice_pass_duration_seconds$lab $p_dur
sluice_pass_exit_status$lab $p_exit
sluice_pass_last_run_timestamp_seconds$lab $epoch"
	epoch=0
	if [ "$p_success" != null ]; then
		unquote "$p_success"
		epoch "$u" || return 0
	fi
	want="$want
sluice_pass_last_success_timestamp_seconds$lab $epoch"
	shift
	IFS=$nl
	[ "$*" != "$want" ] || p_mode=$was
	IFS=$oldifs
}

unquote () {	# unquote JSON-STRING: its text in $u (no escapes in it)
	u=${1#\"}
	u=${u%\"}
}

# stage_results: the stages and their exit statuses, NAME<TAB>RC lines,
# in $results
stage_results () {
	results='' i=0
	while [ "$i" -lt "$nstages" ]; do
		i=$((i + 1))
		eval "n=\$sname_$i r=\$rc_$i"
		results=$results$n$tab$r$nl
	done
}

# write_atomic FILE CMD...: CMD's output to FILE, through a temporary
# file and rename
write_atomic () {
	wf=$1
	shift
	"$@" >"$wf.tmp.$$" && mv -f "$wf.tmp.$$" "$wf"
}

# elapsed: the pass's wall time in $dur, seconds with milliseconds,
# written as jq writes the number (0.03, 1.5, 2)
elapsed () {
	ms=$(((t1ns - t0ns + 500000) / 1000000))
	[ "$ms" -ge 0 ] || ms=0	# the clock was set back
	dur=$((ms / 1000)) ms=$((ms % 1000))
	case $ms in
	0) return 0 ;;
	?) ms=00$ms ;;
	??) ms=0$ms ;;
	esac
	ms=${ms%0}
	ms=${ms%0}
	dur=$dur.$ms
}

# summarize PASS: from $dir/fetch and $dir/stream, in one jq (each start
# of jq costs 20 ms): the pass's summary into $sdir/PASS.json (keeping
# what the last one knew of earlier passes), the log line that ends the
# pass, and the metrics of both passes into METRICS_DIR
summarize () {
	need_dir
	pass=$1 other=sync
	[ "$pass" = images ] || other=images
	prev=$sdir/$pass.json
	[ -s "$prev" ] || prev=/dev/null
	oth=$sdir/$other.json
	[ -s "$oth" ] || oth=/dev/null
	: >>"$dir/stream"
	# unchanged objects are most of a pass, and only counted
	grep -h -v -e '^{"type":"object"' -e '"action":"unchanged"' \
	    "$dir/fetch" "$dir/stream" >"$dir/records" || true
	stage_results
	jq -n -r --arg source "$source" --arg pass "$pass" \
	    --arg mode "$mode" --argjson status "$status" \
	    --argjson start "$t0" --argjson stop "$t1" \
	    --argjson dur "$dur" --arg marked "$marked" \
	    --arg stages "$results" --arg metrics "${METRICS_DIR:-}" \
	    --slurpfile prev "$prev" --slurpfile other "$oth" \
	    -f "$summary_jq" "$dir/records" >"$dir/out"
	# line 1 the summary, 2 the log line, then the metrics
	write_atomic "$sdir/$pass.json" sed -n 1p "$dir/out"
	sed -n 2p "$dir/out" >&2
	if [ -n "${METRICS_DIR:-}" ]; then
		{ { [ -d "$METRICS_DIR" ] || mkdir -p "$METRICS_DIR"; } &&
		    write_atomic "$METRICS_DIR/sluice-$source.prom" \
		    sed 1,2d "$dir/out"; } ||
		    log warning "cannot write the metrics file in '$METRICS_DIR'"
	fi
}

# quick: 0 if this pass's summary and metrics can be written without jq:
# an ok sync pass that ended after the fetch, after a summary (and
# metrics file) that last_sync could read
quick () {
	[ "$pass" = sync ] && [ "$mode" = fetch ] && [ "$status" -eq 0 ] &&
	    [ -n "$p_mode" ] && [ -n "$commit" ] && [ -n "$synced" ]
}

# quick_summary: what pass-summary.jq writes after an ok pass that ended
# after the fetch, byte for byte, without a jq start (25 ms of a 100 ms
# poll): the last summary with this pass's times, exit and commit (the
# rest is kept: such a pass applied nothing), the log line, and the four
# lines of the sync pass in the metrics file
quick_summary () {
	iso "$t0"
	started=$iso
	iso "$t1"
	short=$commit
	case $short in
	????????????*) short=${commit%"${commit#????????????}"} ;;
	esac
	write_atomic "$sdir/sync.json" printf \
	    '{"source":"%s","pass":"sync","mode":"fetch","startedAt":"%s","finishedAt":"%s","durationSeconds":%s,"exit":0,"ok":true,"commit":"%s","synced":"%s","syncedAt":%s,"lastSuccessAt":"%s","lastFullSyncAt":%s,%s"images":0,"changed":false}\n' \
	    "$source" "$started" "$iso" "$dur" "$commit" "$synced" \
	    "$p_synced_at" "$iso" "$p_full" "$p_keep"
	printf '{"level":"info","tool":"sluice","source":"%s","msg":"sync pass over '\''%s'\'' ok in %s s (fetch, commit %s)"}\n' \
	    "$source" "$source" "$dur" "$short" >&2
	[ -n "${METRICS_DIR:-}" ] || return 0
	lab='{[^}]*,pass="sync"}'
	write_atomic "$prom" sed \
	    -e "s/^\\(sluice_pass_duration_seconds$lab\\) .*/\\1 $dur/" \
	    -e "s/^\\(sluice_pass_exit_status$lab\\) .*/\\1 0/" \
	    -e "s/^\\(sluice_pass_last_run_timestamp_seconds$lab\\) .*/\\1 $t1/" \
	    -e "s/^\\(sluice_pass_last_success_timestamp_seconds$lab\\) .*/\\1 $t1/" \
	    "$prom" ||
	    log warning "cannot write the metrics file in '$METRICS_DIR'"
}

# changed: 0 if the pass changed something anyone should hear about; the
# summary's last key, as jq writes it, read without a jq start
changed () {
	grep -q '"changed":true}$' "$sdir/$pass.json"
}

# notify: POST the summary to NOTIFY_URL after a pass that changed
# something or failed; a failure here is logged, never the pass's
notify () {
	[ -n "${NOTIFY_URL:-}" ] || return 0
	# an ok pass that ended after the fetch changed nothing
	[ "$status" -ne 0 ] || { [ "$mode" != fetch ] && changed; } ||
	    return 0
	need_dir
	format=${NOTIFY_FORMAT:-generic}
	case $NOTIFY_URL in https://hooks.slack.com/*) format=slack ;; esac
	if [ "$format" = slack ]; then
		jq -c '
		def short: if . then .[0:7] else "none" end;
		{text: ("sluice \(.pass) pass over *\(.source)* "
		  + (if .ok then "applied" else "failed (exit \(.exit))" end)
		  + " at commit `\(.commit | short)`"),
		 attachments: [{
		   color: (if .ok then "good" else "danger" end),
		   fields: ([
		     {title: "created", value: (.created | join("\n"))},
		     {title: "configured", value: (.configured | join("\n"))},
		     {title: "deleted", value: (.deleted | join("\n"))},
		     {title: "updated",
		      value: ([.updates[] | "\(.id) \(.container): \(.to)"]
		              | join("\n"))},
		     {title: "failed",
		      value: ([.failed[] | "\(.id): \(.error)"] | join("\n"))},
		     {title: "errors",
		      value: ([.errors[] | "\(.stage): \(.file // .id // ""): \(.message)"]
		              | join("\n"))}]
		     | map(select(.value != "") | . + {short: false}))}]}' \
		    "$sdir/$pass.json" >"$dir/notify"
	else
		jq -c '{type: "sluice.pass"} + .' "$sdir/$pass.json" >"$dir/notify"
	fi
	# the URL through a curl config file, not argv: a webhook URL holds
	# its secret, and argv is visible to every user in ps
	(umask 077 && printf 'url = "%s"\n' "$(printf '%s' "$NOTIFY_URL" |
	    sed 's/[\\"]/\\&/g')" >"$dir/curl.cfg")
	if ! curl -sS -o /dev/null --max-time 10 --fail \
	    -H 'Content-Type: application/json' --data-binary @"$dir/notify" \
	    -K "$dir/curl.cfg" 2>"$dir/curl.err"; then
		# curl's message names the host at most, never the path's token
		log warning "notification failed: $(sed 's|https\{0,1\}://[^ ]*|NOTIFY_URL|g' "$dir/curl.err" | head -1)"
	fi
}

# finish PASS: summary, metrics, notification; exit with the pass's status
finish () {
	pass=$1
	# a pass that stopped after the fetch: its records, for the journal
	[ "$nstages" -gt 1 ] || [ -z "$fetched" ] || printf '%s\n' "$fetched" >&2
	if [ -z "$t1ns" ]; then
		clock
		t1ns=$tns
	fi
	t1=${t1ns%?????????}
	elapsed
	if quick; then
		quick_summary
	else
		summarize "$pass"
	fi
	notify || true
	exit "$status"
}

# ends_ok: every stage exited 0, and the pass's end records (of git-fetch
# and of the stream) are there, manifest-gen's and kube-apply's among
# them, each ok for $commit. Our tools write an end record as one line
# that starts '{"type":"end","stage":'; those are read here. Any other
# line that may be an end record (a user's stage may order its keys as it
# likes) or is no JSON object sends them all to one jq.
ends_ok () {
	[ "$status" -eq 0 ] || return 1
	i=0
	while [ "$i" -lt "$nstages" ]; do
		i=$((i + 1))
		eval "[ \"\$rc_$i\" -eq 0 ]" || return 1
	done
	# (bytes, not characters: [^{] in a UTF-8 locale is 20 times slower)
	ends=$(LC_ALL=C grep -h -e '"end"' -e '^[^{]' \
	    "$dir/fetch" "$dir/stream") || return 1
	oldifs=$IFS
	IFS=$nl
	set -f
	# shellcheck disable=SC2086 # split into lines on purpose, no globbing
	set -- $ends
	set +f
	IFS=$oldifs
	gen='' apply=''
	for e; do
		st=${e#'{"type":"end","stage":"'}
		st=${st%%\"*}
		case $e in
		"{\"type\":\"end\",\"stage\":\"$st\",\"source\":\"$source\",\"commit\":\"$commit\",\"ok\":true,\"counts\":"*)
			;;
		*)
			printf '%s\n' "$ends" | jq -n -e --arg c "$commit" '
			    [inputs | select(.type == "end")]
			    | length > 0 and all(.ok == true and .commit == $c)
			      and any(.[]; .stage == "manifest-gen")
			      and any(.[]; .stage == "kube-apply")' >/dev/null
			return ;;
		esac
		case $st in
		manifest-gen) gen=1 ;;
		kube-apply) apply=1 ;;
		esac
	done
	[ -n "$gen" ] && [ -n "$apply" ]
}

sync_pass () {
	load "$@"
	start_pass
	fetch
	if [ "$rc_1" -ne 0 ] || [ "$fetch_ok" != true ] || [ -z "$commit" ]; then
		[ "$status" -ne 0 ] || status=1
		finish sync
	fi
	full=
	if [ "$commit" = "$synced" ]; then
		last_sync
		if [ -n "$last_full" ]; then
			clock
			if [ "$((t - last_full))" -lt "$SYNC_INTERVAL_S" ]; then
				# nothing new, and the re-apply is not due yet
				t1ns=$tns
				finish sync
			fi
		fi
		full=1 mode=full
	else
		mode=sync
	fi
	sync_stages
	need_dir
	run_stages "$dir/fetch" "$dir/stream"
	if ends_ok && ! bool DRY_RUN; then
		F=
		git_flags
		opt --git-sync-tag GIT_SYNC_TAG
		opt --git-label GIT_LABEL
		add --mark-synced "$commit"
		eval "git-fetch $F" 9>&- >/dev/null && rc=0 || rc=$?
		if [ "$rc" -eq 0 ]; then
			marked=yes
		else
			cause "$rc"
		fi
	elif [ "$status" -eq 0 ] && ! bool DRY_RUN; then
		# every stage exited 0, yet an end record is missing or not
		# ok: a stage of the user's that exits 0 on failure
		status=1
	fi
	finish sync
}

images_pass () {
	load "$@"
	start_pass
	mode=automation
	if bool GIT_READONLY && ! bool DRY_RUN; then
		log info "automation skipped: GIT_READONLY is set"
		mode=skipped
		finish images
	fi
	if bool REGISTRY_DISABLE_SCANNING; then
		log info "automation skipped: REGISTRY_DISABLE_SCANNING is set"
		mode=skipped
		finish images
	fi
	fetch
	if [ "$rc_1" -ne 0 ] || [ "$fetch_ok" != true ] || [ -z "$commit" ]; then
		[ "$status" -ne 0 ] || status=1
		finish images
	fi
	images_stages
	need_dir
	run_stages "$dir/fetch" "$dir/stream"
	finish images
}

# ---- sluice config check ----

# shown NAME VALUE: VALUE as config check may print it
shown () {
	kind_of "$1" || :
	case $k in
	secret) printf '(set, not shown)' ;;
	url) printf '%s' "$2" | sed 's|^\([a-z+]*://[^/@:]*\):[^/@]*@|\1:(hidden)@|' ;;
	*) printf '%s' "$2" ;;
	esac
}

# redact: quoted commands, with passwords in URLs hidden
redact () {
	sed 's|\([a-z+]*://[^/@:'"'"' ]*\):[^/@'"'"' ]*@|\1:(hidden)@|g'
}

config_check () {
	[ "${1-}" = check ] || die 64 'usage: sluice config check [--config FILE] SOURCE'
	shift
	cmd='config check'
	load "$@"
	printf 'source %s: %s is valid\n' "$source" "$config"
	printf '\nsettings:\n'
	for v in $VARS; do
		name=${v%%:*}
		eval "set=\${$name+x} val=\${$name-}"
		[ -n "$set" ] || continue
		printf '  %s=%s\n' "$name" "$(shown "$name" "$val")"
	done
	printf '\nstate: %s\n' "$sdir"
	printf 'intervals: poll %ss, sync %ss, automation %ss\n' \
	    "$GIT_POLL_INTERVAL_S" "$SYNC_INTERVAL_S" "$AUTOMATION_INTERVAL_S"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-check.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
	nstages=0 full=
	stage git-fetch "git-fetch $(F=; fetch_flags; printf %s "$F")"
	sync_stages
	printf '\nsync pass:\n'
	show_stages
	if ! bool SYNC_GARBAGE_COLLECTION && ! bool SYNC_GARBAGE_COLLECTION_DRY; then
		printf '  (no gc: SYNC_GARBAGE_COLLECTION is off)\n'
	fi
	printf '  then, when every stage ended ok: git-fetch ... --mark-synced COMMIT\n'
	nstages=0
	stage git-fetch "git-fetch $(F=; fetch_flags; printf %s "$F")"
	images_stages
	printf '\nautomation pass:\n'
	if bool GIT_READONLY || bool REGISTRY_DISABLE_SCANNING; then
		printf '  (skipped: GIT_READONLY or REGISTRY_DISABLE_SCANNING)\n'
	else
		show_stages
	fi
	for v in DRY_RUN GIT_READONLY; do
		! bool "$v" || printf '\n%s is on\n' "$v"
	done
	[ -z "${NOTIFY_URL:-}" ] ||
	    printf '\nnotifications: %s format\n' "${NOTIFY_FORMAT:-generic}"
	[ -z "${METRICS_DIR:-}" ] ||
	    printf 'metrics: %s/sluice-%s.prom\n' "$METRICS_DIR" "$source"
	for tool in git-fetch manifest-gen kube-apply img-scan img-update; do
		command -v "$tool" >/dev/null 2>&1 ||
		    die 78 "cannot find the tool '$tool'"
	done
	exit 0
}

show_stages () {
	i=0
	while [ "$i" -lt "$nstages" ]; do
		i=$((i + 1))
		eval "c=\$scmd_$i"
		# shellcheck disable=SC2154 # set by the eval above
		printf '  %s%s\n' "$([ "$i" -eq 1 ] || printf '| ')" \
		    "$(printf '%s' "$c" | redact)"
	done
}

# ---- sluice status ----

status_cmd () {
	format=text
	while [ $# -gt 0 ]; do
		case $1 in
		-o) [ $# -ge 2 ] || die 64 '-o needs text or json'
			format=$2; shift 2 ;;
		-o*) format=${1#-o}; shift ;;
		--output=*) format=${1#*=}; shift ;;
		--) shift; break ;;
		-*) die 64 "usage: sluice status [-o text|json] [SOURCE...]" ;;
		*) break ;;
		esac
	done
	case $format in text | json) ;; *) die 64 "-o: '$format' is not text or json" ;; esac
	if [ -n "${SLUICE_STATE_DIR:-}" ]; then
		state=$SLUICE_STATE_DIR
	elif [ -n "${STATE_DIRECTORY:-}" ]; then
		state=${STATE_DIRECTORY%%:*}
		# under systemd, one source's folder: its parent holds them all
		[ ! -e "$state/lock" ] || state=${state%/*}
	else
		state=/var/lib/sluice
	fi
	if [ $# -eq 0 ]; then
		for d in "$state"/*/; do
			[ -e "$d/sync.json" ] || [ -e "$d/images.json" ] || continue
			d=${d%/}
			set -- "$@" "${d##*/}"
		done
	fi
	rc=0
	for s in "$@"; do
		f=
		# a source's env file may name its own state folder
		sstate=$(sed -n "s/^[[:space:]]*SLUICE_STATE_DIR[[:space:]]*=[[:space:]]*[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}[[:space:]]*\$/\\1/p" \
		    "${SLUICE_CONFIG_DIR:-/etc/sluice}/$s.env" 2>/dev/null |
		    tail -n 1)
		: "${sstate:=$state}"
		for p in sync images; do
			[ -s "$sstate/$s/$p.json" ] && f="$f $sstate/$s/$p.json"
		done
		if [ -z "$f" ]; then
			printf "%s: no pass over '%s' yet (in %s)\n" "$me" "$s" \
			    "$sstate" >&2
			rc=1
			jq -n --arg s "$s" '{source: $s, sync: null, images: null}'
			continue
		fi
		# shellcheck disable=SC2086 # the file names have no blanks
		jq -s --arg s "$s" '{source: $s,
		    sync: (map(select(.pass == "sync")) | .[0]),
		    images: (map(select(.pass == "images")) | .[0])}' $f
	done >"${TMPDIR:-/tmp}/sluice-status.$$" || true
	if [ "$format" = json ]; then
		jq -s . "${TMPDIR:-/tmp}/sluice-status.$$"
	else
		jq -r -s -f /dev/stdin "${TMPDIR:-/tmp}/sluice-status.$$" <<'JQ'
def short: if . then .[0:12] else "none" end;
def list(n; a): if (a | length) > 0
  then "  \(n) (\(a | length)): \(a[0:10] | join(", "))\(if (a | length) > 10 then ", ..." else "" end)"
  else empty end;
.[] | "source \(.source)",
  (.sync // empty
   | "  synced     \(.synced | short) at \(.syncedAt // "never")",
     "  sync pass  \(if .ok then "ok" else "FAILED (exit \(.exit))" end), \(.mode), commit \(.commit | short), ended \(.finishedAt), \(.durationSeconds) s",
     "  objects    \(.counts.created // 0) created, \(.counts.configured // 0) configured, \(.counts.unchanged // 0) unchanged, \(.counts.failed // 0) failed, \(.deleted | length) deleted",
     list("created"; .created), list("configured"; .configured),
     list("failed"; [.failed[] | "\(.id): \(.error)"]),
     list("deleted"; .deleted),
     list("would delete"; .wouldDelete)),
  (.images // empty
   | "  automation \(if .ok then "ok" else "FAILED (exit \(.exit))" end), \(.mode), commit \(.commit | short), ended \(.finishedAt), \(.images) images, \(.updates | length) updates",
     list("updated"; [.updates[] | "\(.id) \(.container) \(.to)"])),
  ([.sync, .images | select(.) | .errors[]] as $e
   | if ($e | length) > 0 then "  last errors:",
       ($e[-10:][] | "    \(.stage): \(.file // .id // "-"): \(.message)")
     else empty end)
JQ
	fi
	rm -f "${TMPDIR:-/tmp}/sluice-status.$$"
	exit "$rc"
}

# ---- sluice run ----

# wait_until T: sleep until epoch T, or until the trigger file appears
wait_until () {
	while [ "$(now)" -lt "$1" ]; do
		[ ! -e "$sdir/trigger" ] || return 0
		sleep 1
	done
}

run_loop () {
	load "$@"
	mkdir -p "$sdir"
	trap 'exit 143' TERM
	trap 'exit 130' INT
	log info "running '$source': poll every ${GIT_POLL_INTERVAL_S}s, re-apply every ${SYNC_INTERVAL_S}s, automation every ${AUTOMATION_INTERVAL_S}s"
	next_sync=0 next_images=0
	while :; do
		t=$(now)
		# sluice trigger appends the pass it wants ("sync", "images");
		# taken by a rename, so a trigger written meanwhile waits
		want_sync='' want_images=''
		if mv "$sdir/trigger" "$sdir/trigger.taken" 2>/dev/null; then
			if grep -qx images "$sdir/trigger.taken"; then
				want_images=1
			fi
			if [ ! -s "$sdir/trigger.taken" ] ||
			    grep -qx sync "$sdir/trigger.taken"; then
				want_sync=1
			fi
			rm -f "$sdir/trigger.taken"
		fi
		if [ -n "$want_sync" ] || [ "$t" -ge "$next_sync" ]; then
			rc=0
			sh "$0" sync --config "$config" "$source" || rc=$?
			[ "$rc" -eq 0 ] || log info "sync pass exited $rc"
			next_sync=$(($(now) + GIT_POLL_INTERVAL_S))
		fi
		if [ -n "$want_images" ] || [ "$t" -ge "$next_images" ]; then
			rc=0
			sh "$0" images --config "$config" "$source" || rc=$?
			[ "$rc" -eq 0 ] || log info "automation pass exited $rc"
			next_images=$(($(now) + AUTOMATION_INTERVAL_S))
			# what automation committed is applied at once
			if jq -e '.updates | map(select(.commit)) | length > 0' \
			    "$sdir/images.json" >/dev/null 2>&1; then
				echo sync >>"$sdir/trigger"
			fi
		fi
		n=$next_sync
		[ "$next_images" -ge "$n" ] || n=$next_images
		wait_until "$n"
	done
}

cmd=${1-}
[ $# -eq 0 ] || shift
case $cmd in
sync) sync_pass "$@" ;;
images) images_pass "$@" ;;
run) run_loop "$@" ;;
status) status_cmd "$@" ;;
config) config_check "$@" ;;
*) die 64 "pass.sh: unknown command '$cmd'" ;;
esac
