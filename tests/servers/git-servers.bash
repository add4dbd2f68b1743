# git-servers.bash: real Git servers on 127.0.0.1 for the bats tests
# (`load servers/git-servers`). Each server is started as
# /work/shared/docs/test-servers.md says: one foreground process, fd 3
# closed, bound to 127.0.0.1 on a free port, its files and log under
# ROOT/.servers/KIND. Start them in setup_file and call stop_servers in
# teardown_file. One server of each kind per ROOT.
#
# Every function returns non-zero with a message on stderr when it fails,
# whether or not `set -e` is on, and prints only what it documents.
#
# URLs, with NAME a repository made by git_seed_repo ROOT NAME:
#   git://127.0.0.1:$GITD_PORT/NAME.git
#   http://USER:PASS@127.0.0.1:$HTTP_PORT/git/NAME.git
#   https://USER:PASS@localhost:$HTTPS_PORT/git/NAME.git    (trust $HTTPS_CA)
#   ssh://$(id -un)@127.0.0.1:$SSHD_PORT/ABSOLUTE/ROOT/NAME.git

# The servers this file has started, one "PID COMMAND" line each, so that
# stop_servers finds them from any shell of the same bats file.
# GIT_SERVERS_PIDFILE overrides the place.
_gs_pidfile() {
	if [ -n "${GIT_SERVERS_PIDFILE:-}" ]; then
		printf '%s\n' "$GIT_SERVERS_PIDFILE"
	elif [ -n "${BATS_FILE_TMPDIR:-}" ]; then
		printf '%s\n' "$BATS_FILE_TMPDIR/git-servers.pids"
	else
		printf '%s\n' "${TMPDIR:-/tmp}/git-servers.$$.pids"
	fi
}

# git with a fixed identity, whatever the user's configuration says.
_gs_git() {
	git -c user.name=sluice-test -c user.email=sluice-test@example.com \
	    -c commit.gpgsign=false -c init.defaultBranch=main \
	    -c advice.detachedHead=false "$@"
}

# _gs_abs DIR: DIR as an absolute path (DIR must exist).
_gs_abs() {
	(cd "$1" && pwd -P) || {
		printf 'git-servers: no directory %s\n' "$1" >&2
		return 1
	}
}

# free_port: print a TCP port that nothing listens on at 127.0.0.1 now.
# Racy (another test can take it first); the start_* functions retry.
free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 100); do
		(exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || {
			printf '%s\n' "$p"
			return 0
		}
	done
	printf 'free_port: no free port found\n' >&2
	return 1
}

# wait_for CMD [TRIES]: run CMD (eval'd, output dropped) every 20 ms until
# it succeeds; fail after TRIES attempts (default 250, about 5 s).
wait_for() {
	local i
	for i in $(seq 1 "${2:-250}"); do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	return 1
}

# stop_pid PID: TERM, wait up to 3 s for it to exit, then KILL; reap it if
# it is our child. Never fails.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		case "$(ps -o stat= -p "$pid" 2>/dev/null)" in
		"" | Z*) break ;;
		esac
		sleep 0.03
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# _gs_alive PID: the process exists and is not a zombie.
_gs_alive() {
	case "$(ps -o stat= -p "$1" 2>/dev/null)" in
	"" | Z*) return 1 ;;
	esac
}

# _gs_ready WHAT PID LOG PATTERN: wait until LOG holds PATTERN (a fixed
# string the server writes once it listens), and record PID for
# stop_servers. Returns 2 if the server died because its port was taken
# (the caller retries on another port), 1 with the log on stderr if it
# died or stayed silent for 5 s.
_gs_ready() {
	local what=$1 pid=$2 log=$3 pattern=$4 i
	for i in $(seq 1 250); do
		if grep -qF -- "$pattern" "$log" 2>/dev/null && _gs_alive "$pid"; then
			printf '%s %s\n' "$pid" "$(ps -o comm= -p "$pid")" \
			    >>"$(_gs_pidfile)" || return 1
			return 0
		fi
		_gs_alive "$pid" || break
		sleep 0.02
	done
	stop_pid "$pid"
	if grep -qi 'address already in use' "$log" 2>/dev/null; then
		return 2
	fi
	if [ "$i" -eq 250 ]; then
		printf '%s: not up within 5 s (no "%s" in %s); log:\n' \
		    "$what" "$pattern" "$log" >&2
	else
		printf '%s: exited before it was up; log %s:\n' "$what" "$log" >&2
	fi
	sed 's/^/    /' "$log" >&2 2>/dev/null || true
	return 1
}

# stop_servers: stop every server the start_* functions started (from the
# pid file, so any shell of the bats file can call it; a PID now running
# another program is left alone). Never fails.
stop_servers() {
	local file pid comm
	file=$(_gs_pidfile)
	[ -f "$file" ] || return 0
	while read -r pid comm; do
		if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$comm" ]; then
			stop_pid "$pid"
		fi
	done <"$file"
	rm -f "$file"
}

# git_seed_repo ROOT NAME: create the bare repository ROOT/NAME.git whose
# branch main has one commit adding apps/cm.yaml (a ConfigMap "cm"), made
# in a temporary clone. Prints nothing.
git_seed_repo() {
	local root=$1 name=$2 tmp rc=0
	mkdir -p "$root" || return 1
	git init -q --bare -b main "$root/$name.git" || return 1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/git-seed.XXXXXX") || return 1
	{
		_gs_git clone -q "$root/$name.git" "$tmp/w" 2>/dev/null &&
		    mkdir -p "$tmp/w/apps" &&
		    printf '%s\n' 'apiVersion: v1' 'kind: ConfigMap' 'metadata:' \
		        '  name: cm' '  namespace: default' 'data:' \
		        "  repo: \"$name\"" >"$tmp/w/apps/cm.yaml" &&
		    _gs_git -C "$tmp/w" add apps/cm.yaml &&
		    _gs_git -C "$tmp/w" commit -q -m "seed $name" &&
		    _gs_git -C "$tmp/w" push -q origin HEAD:refs/heads/main
	} || rc=1
	rm -rf "$tmp"
	[ "$rc" -eq 0 ] || printf 'git_seed_repo: cannot seed %s/%s.git\n' \
	    "$root" "$name" >&2
	return "$rc"
}

# _gs_work ROOT NAME: bring the scratch clone ROOT/.work/NAME to the tip of
# main of ROOT/NAME.git (cloning it the first time). Prints nothing.
_gs_work() {
	local root=$1 name=$2 work=$1/.work/$2
	if [ ! -d "$work/.git" ]; then
		if ! { mkdir -p "$root/.work" &&
		    _gs_git clone -q -b main "$root/$name.git" "$work"; }; then
			printf 'git-servers: cannot clone %s/%s.git\n' "$root" "$name" >&2
			return 1
		fi
	elif ! { _gs_git -C "$work" fetch -q --prune origin &&
	    _gs_git -C "$work" checkout -q -B main origin/main &&
	    _gs_git -C "$work" reset -q --hard origin/main &&
	    _gs_git -C "$work" clean -q -fdx; }; then
		printf 'git-servers: cannot update %s\n' "$work" >&2
		return 1
	fi
}

# git_push_commit ROOT NAME MESSAGE [FILE [CONTENT]]: add a commit to main
# of ROOT/NAME.git; with FILE (a path inside the repository) it writes
# CONTENT (default MESSAGE) and a newline to it, else the commit is empty.
# Prints the new commit id.
git_push_commit() {
	local root=$1 name=$2 msg=$3 file=${4:-} work=$1/.work/$2
	local content=${5:-$3}
	_gs_work "$root" "$name" || return 1
	if [ -n "$file" ]; then
		mkdir -p "$(dirname "$work/$file")" &&
		    printf '%s\n' "$content" >"$work/$file" &&
		    _gs_git -C "$work" add -- "$file" || return 1
	fi
	_gs_git -C "$work" commit -q --allow-empty -m "$msg" &&
	    _gs_git -C "$work" push -q origin HEAD:refs/heads/main &&
	    _gs_git -C "$work" rev-parse HEAD
}

# git_force_rewrite ROOT NAME: replace main of ROOT/NAME.git by a new root
# commit (same tree, no parent: the old history is gone) with a forced
# push. Prints the new commit id.
git_force_rewrite() {
	local root=$1 name=$2 work=$1/.work/$2 new
	_gs_work "$root" "$name" || return 1
	new=$(_gs_git -C "$work" commit-tree 'HEAD^{tree}' \
	    -m "rewritten history $(date +%s.%N)") &&
	    _gs_git -C "$work" reset -q --hard "$new" &&
	    _gs_git -C "$work" push -q -f origin HEAD:refs/heads/main &&
	    printf '%s\n' "$new"
}

# git_create_branch ROOT NAME BRANCH [FROM]: create BRANCH in ROOT/NAME.git
# at FROM (default main). Prints its commit id.
git_create_branch() {
	local dir=$1/$2.git
	git --git-dir="$dir" branch -- "$3" "${4:-main}" &&
	    git --git-dir="$dir" rev-parse "refs/heads/$3"
}

# git_delete_branch ROOT NAME BRANCH: delete BRANCH (main too) from
# ROOT/NAME.git; fails if there is no such branch. Prints nothing.
git_delete_branch() {
	local dir=$1/$2.git
	git --git-dir="$dir" rev-parse -q --verify "refs/heads/$3" >/dev/null || {
		printf 'git_delete_branch: no branch %s in %s\n' "$3" "$dir" >&2
		return 1
	}
	git --git-dir="$dir" update-ref -d "refs/heads/$3"
}

# start_git_daemon ROOT: git daemon serving every repository under ROOT,
# push allowed, no auth. Exports GITD_PORT, GITD_PID.
# URL: git://127.0.0.1:$GITD_PORT/NAME.git
start_git_daemon() {
	local root dir port pid try rc
	root=$(_gs_abs "$1") || return 1
	dir=$root/.servers/gitd
	mkdir -p "$dir" || return 1
	try=0
	while [ "$try" -lt 3 ]; do
		try=$((try + 1))
		port=$(free_port) || return 1
		/usr/lib/git-core/git-daemon --verbose --listen=127.0.0.1 \
		    --port="$port" --reuseaddr --base-path="$root" --export-all \
		    --enable=receive-pack --informative-errors "$root" \
		    >"$dir/log" 2>&1 3>&- &
		pid=$!
		rc=0
		_gs_ready "git daemon" "$pid" "$dir/log" "Ready to rumble" || rc=$?
		if [ "$rc" -eq 0 ]; then
			export GITD_PORT=$port GITD_PID=$pid
			return 0
		fi
		[ "$rc" -eq 2 ] || return 1
	done
	printf 'start_git_daemon: %s ports tried, all taken\n' "$try" >&2
	return 1
}

# _gs_lighttpd ROOT DIR USER PASS TLS: write DIR/lighttpd.conf (smart HTTP
# through git-http-backend for ROOT, basic auth USER:PASS; TLS "yes" adds
# mod_openssl with DIR/cert.pem) and start lighttpd on a free port, retrying
# if the port is taken. Sets _gs_port and _gs_pid.
_gs_lighttpd() {
	local root=$1 dir=$2 user=$3 pass=$4 tls=$5 port pid try rc tlsconf=
	mkdir -p "$dir/www" || return 1
	htpasswd -nbB "$user" "$pass" >"$dir/htpasswd" || {
		printf 'git-servers: htpasswd failed (apache2-utils installed?)\n' >&2
		return 1
	}
	if [ "$tls" = yes ]; then
		tlsconf="server.modules += ( \"mod_openssl\" )
ssl.engine = \"enable\"
ssl.pemfile = \"$dir/cert.pem\"
ssl.privkey = \"$dir/key.pem\""
	fi
	try=0
	while [ "$try" -lt 3 ]; do
		try=$((try + 1))
		port=$(free_port) || return 1
		cat >"$dir/lighttpd.conf" <<EOF || return 1
server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$dir/www"
alias.url = ( "/git" => "/usr/lib/git-core/git-http-backend" )
\$HTTP["url"] =~ "^/git" {
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$root", "GIT_HTTP_EXPORT_ALL" => "1" )
  auth.backend = "htpasswd"
  auth.backend.htpasswd.userfile = "$dir/htpasswd"
  auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
}
$tlsconf
EOF
		lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/log" 2>&1 || {
			printf 'git-servers: bad %s:\n' "$dir/lighttpd.conf" >&2
			sed 's/^/    /' "$dir/log" >&2
			return 1
		}
		lighttpd -D -f "$dir/lighttpd.conf" >"$dir/log" 2>&1 3>&- &
		pid=$!
		rc=0
		_gs_ready "lighttpd ($dir)" "$pid" "$dir/log" "server started" || rc=$?
		if [ "$rc" -eq 0 ]; then
			_gs_port=$port _gs_pid=$pid
			return 0
		fi
		[ "$rc" -eq 2 ] || return 1
	done
	printf 'git-servers: lighttpd: %s ports tried, all taken\n' "$try" >&2
	return 1
}

# start_git_http ROOT USER PASS: lighttpd + git-http-backend serving every
# repository under ROOT over plain HTTP, clone and push for USER:PASS only
# (bcrypt htpasswd; others get 401). Exports HTTP_PORT, HTTP_PID.
# URL: http://127.0.0.1:$HTTP_PORT/git/NAME.git
start_git_http() {
	local root _gs_port _gs_pid
	root=$(_gs_abs "$1") || return 1
	_gs_lighttpd "$root" "$root/.servers/http" "$2" "$3" no || return 1
	export HTTP_PORT=$_gs_port HTTP_PID=$_gs_pid
}

# _gs_tls_cert DIR: a test CA (DIR/ca.pem) and, signed by it, DIR/cert.pem
# + DIR/key.pem for DNS:localhost (and IP:127.0.0.1, which mbedTLS, and so
# libgit2 1.5, ignores: use https://localhost:PORT).
_gs_tls_cert() {
	local dir=$1
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 30 \
		    -subj /CN=sluice-test-ca \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign &&
		    openssl req -new -newkey ec \
		    -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		    -keyout "$dir/key.pem" -out "$dir/cert.csr" -subj /CN=localhost &&
		    printf '%s\n' 'basicConstraints=CA:FALSE' \
		        'keyUsage=critical,digitalSignature,keyEncipherment' \
		        'extendedKeyUsage=serverAuth' \
		        'subjectAltName=DNS:localhost,IP:127.0.0.1' >"$dir/cert.ext" &&
		    openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" \
		    -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
		    -extfile "$dir/cert.ext" -out "$dir/cert.pem"
	} >"$dir/openssl.log" 2>&1 || {
		printf 'git-servers: cannot make the TLS certificate:\n' >&2
		sed 's/^/    /' "$dir/openssl.log" >&2
		return 1
	}
}

# start_git_https ROOT USER PASS: as start_git_http, over TLS with a
# certificate for localhost issued by a fresh test CA. Exports HTTPS_PORT,
# HTTPS_PID, HTTPS_CA (the CA certificate file to trust).
# URL: https://localhost:$HTTPS_PORT/git/NAME.git (not 127.0.0.1: libgit2
# 1.5 with mbedTLS does not match IP SANs)
start_git_https() {
	local root dir _gs_port _gs_pid
	root=$(_gs_abs "$1") || return 1
	dir=$root/.servers/https
	mkdir -p "$dir" && _gs_tls_cert "$dir" || return 1
	_gs_lighttpd "$root" "$dir" "$2" "$3" yes || return 1
	export HTTPS_PORT=$_gs_port HTTPS_PID=$_gs_pid HTTPS_CA=$dir/ca.pem
}

# start_sshd ROOT: OpenSSH sshd in the foreground, public-key login only,
# for the one deploy key it generates. Exports SSHD_PORT, SSHD_PID,
# SSH_KEY (the deploy key's private file, 0600), SSH_KNOWN_HOSTS (a
# known_hosts file with the host key for [127.0.0.1]:PORT), SSH_HOST_PUB
# (the host key's .pub file).
# URL: ssh://$(id -un)@127.0.0.1:$SSHD_PORT/ABSOLUTE/ROOT/NAME.git
start_sshd() {
	local root dir port pid try rc
	root=$(_gs_abs "$1") || return 1
	dir=$root/.servers/ssh
	mkdir -p "$dir" || return 1
	# sshd as root needs its privilege-separation directory
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -p /run/sshd || return 1
	fi
	rm -f "$dir/host_key" "$dir/host_key.pub" "$dir/id_deploy" "$dir/id_deploy.pub"
	if ! { ssh-keygen -q -t ed25519 -N '' -C sluice-test-host \
	    -f "$dir/host_key" &&
	    ssh-keygen -q -t ed25519 -N '' -C sluice-test-deploy \
	    -f "$dir/id_deploy" &&
	    chmod 600 "$dir/host_key" "$dir/id_deploy" &&
	    cp "$dir/id_deploy.pub" "$dir/authorized_keys"; }; then
		printf 'start_sshd: ssh-keygen failed\n' >&2
		return 1
	fi
	try=0
	while [ "$try" -lt 3 ]; do
		try=$((try + 1))
		port=$(free_port) || return 1
		cat >"$dir/sshd_config" <<EOF || return 1
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_key
PidFile none
AuthorizedKeysFile $dir/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
LogLevel VERBOSE
EOF
		/usr/sbin/sshd -t -f "$dir/sshd_config" >"$dir/log" 2>&1 || {
			printf 'start_sshd: bad %s:\n' "$dir/sshd_config" >&2
			sed 's/^/    /' "$dir/log" >&2
			return 1
		}
		/usr/sbin/sshd -D -e -f "$dir/sshd_config" >"$dir/log" 2>&1 3>&- &
		pid=$!
		rc=0
		_gs_ready sshd "$pid" "$dir/log" \
		    "Server listening on 127.0.0.1 port $port." || rc=$?
		if [ "$rc" -eq 0 ]; then
			printf '[127.0.0.1]:%s %s\n' "$port" \
			    "$(cut -d' ' -f1,2 "$dir/host_key.pub")" \
			    >"$dir/known_hosts" || return 1
			export SSHD_PORT=$port SSHD_PID=$pid SSH_KEY=$dir/id_deploy \
			    SSH_KNOWN_HOSTS=$dir/known_hosts \
			    SSH_HOST_PUB=$dir/host_key.pub
			return 0
		fi
		[ "$rc" -eq 2 ] || return 1
	done
	printf 'start_sshd: %s ports tried, all taken\n' "$try" >&2
	return 1
}

# ssh_other_known_hosts FILE: write to FILE a known_hosts line for
# [127.0.0.1]:$SSHD_PORT with a fresh ed25519 key that is NOT the server's
# (for "the host key changed" tests).
ssh_other_known_hosts() {
	local file=$1 tmp rc=0
	[ -n "${SSHD_PORT:-}" ] || {
		printf 'ssh_other_known_hosts: no SSHD_PORT (start_sshd first)\n' >&2
		return 1
	}
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/git-servers-key.XXXXXX") || return 1
	ssh-keygen -q -t ed25519 -N '' -C other-host -f "$tmp/key" &&
	    printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" \
	        "$(cut -d' ' -f1,2 "$tmp/key.pub")" >"$file" || rc=1
	rm -rf "$tmp"
	return "$rc"
}

# ssh_git_command [KEY [KNOWN_HOSTS]]: print a GIT_SSH_COMMAND for the git
# CLI that logs in with KEY (default $SSH_KEY) and trusts only KNOWN_HOSTS
# (default $SSH_KNOWN_HOSTS), never prompting.
ssh_git_command() {
	printf 'ssh -F /dev/null -i %q -o IdentitiesOnly=yes -o UserKnownHostsFile=%q -o StrictHostKeyChecking=yes -o BatchMode=yes\n' \
	    "${1:-$SSH_KEY}" "${2:-$SSH_KNOWN_HOSTS}"
}
