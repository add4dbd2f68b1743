/*
 * flux.h: the names Flux v1 derives from its configuration, reproduced
 * byte for byte so that sluice recognises the objects fluxd labelled
 * (flux-v1-reference.md §3.3, §3.4).
 *
 *	struct buf url = BUF_INIT, set = BUF_INIT, mark = BUF_INIT;
 *	if (flux_safe_url(git_url, &url) < 0)
 *		return log_error("cannot parse git URL '%s'", git_url);
 *	flux_sync_set_name(url.s, branch, paths, npaths, &set);
 *	flux_gc_mark(set.s, "default:deployment/podinfo", &mark);
 *
 * Every function appends to out (it does not reset it) and logs nothing.
 */
#ifndef SLUICE_FLUX_H
#define SLUICE_FLUX_H

#include <stddef.h>

#include "lib/buf.h"

/*
 * Append Flux v1's Remote.SafeURL() of url to out: the URL parsed as
 * github.com/whilp/git-urls v1.0.0 parses it, any password dropped, and
 * written back as Go's net/url URL.String() writes it (Go 1.17, which
 * fluxd 1.25 was built with). The parse tries, in order:
 *   - an RFC 3986 URL whose scheme is one of ssh, git, git+ssh, http,
 *     https, ftp, ftps, rsync, file (the scheme is lower-cased, the host
 *     kept as written, "[v6]:port" included; the path is kept as written
 *     when it is validly %-encoded, otherwise re-encoded as Go does);
 *   - scp syntax, [user@]host:path[?query] with the characters git-urls's
 *     regular expression allows, giving ssh://[user@]host/path;
 *   - anything else is a local path: file://path (file:///abs/path).
 * So "git@github.com:org/repo" gives "ssh://git@github.com/org/repo" and
 * "https://u:pw@host/x.git" gives "https://u@host/x.git".
 *
 * Flux's parser never fails (the local path is the catch-all); -1 here,
 * with out unchanged and nothing logged, means url is empty or holds a
 * control character (bytes below 0x20, or 0x7f), which cannot name a
 * repository. The caller reports it.
 */
int flux_safe_url(const char *url, struct buf *out);

/*
 * Append the sync set name: base64url_nopad(sha256(safe_url || branch ||
 * paths[0] || ... || paths[npaths-1])), the strings run together with
 * nothing between them ([F] pkg/daemon/sync.go makeGitConfigHash).
 * safe_url is flux_safe_url's result; paths are the raw --git-path values
 * in flag order.
 */
void flux_sync_set_name(const char *safe_url, const char *branch,
    char *const *paths, size_t npaths, struct buf *out);

/*
 * Append the value of the fluxcd.io/sync-gc-mark label for the object with
 * resource ID id ("<namespace>:<kind>/<name>"): "sha256." +
 * base64url_nopad(sha256(sync_set || id)) ([F] pkg/cluster/kubernetes/
 * sync.go makeGCMark). FLUX_GC_MARK_LEN characters, a valid label value.
 */
#define FLUX_GC_MARK_LEN 50
void flux_gc_mark(const char *sync_set, const char *id, struct buf *out);

#endif
