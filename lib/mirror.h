/*
 * mirror.h: the bare mirror of one source's Git repository, kept with
 * libgit2 under the state directory. git-fetch fetches into it, later
 * stages read blobs from it, and the sync tag is pushed from it.
 *
 * Safety. A mirror is used under an exclusive lock (a second user gets
 * EXIT_TEMPFAIL at once, never a wait). Opening it clears what a killed
 * run can leave (stale *.lock files, half-written packs) and checks that
 * the branch's commit and tree can be read; a mirror that fails that check,
 * or that never finished its first fetch, is removed and cloned anew. The
 * first clone is made beside the mirror and renamed into place only once
 * it is complete, so a half-made mirror is never taken for a whole one.
 * Packs pile up, one a fetch: git-fetch consolidates them past git's
 * gc --auto limits while it holds the lock (lib/mirror_pack.h).
 *
 * Credentials go to libgit2 through callbacks only: the URL given to it
 * has no password, so none can reach its messages, the mirror's config,
 * records or logs. SSH host keys are checked against our own known_hosts
 * file, strictly; TLS against the system CAs or a CA file.
 *
 * Failures come back as an exit status (lib/exitcode.h): EXIT_TEMPFAIL for
 * the network, time-outs and a held lock, EXIT_CONFIG for credentials,
 * host keys, certificates and URLs, EXIT_IOERR for the local disk; with
 * the message in err (nothing logged here).
 */
#ifndef SLUICE_MIRROR_H
#define SLUICE_MIRROR_H

#include <git2.h>

#include "lib/buf.h"
#include "lib/giturl.h"

struct mirror_opts {
	const char *url;		/* may hold user:password; see above */
	const char *branch;
	const char *sync_tag;		/* fetched with the branch */
	double timeout;			/* seconds, per network operation */
	const char *http_user;		/* NULL: the URL's, else "git" */
	const char *http_password;	/* NULL: the URL's, if any */
	const char *ssh_key;		/* private key file */
	const char *known_hosts;	/* the only host keys trusted */
	const char *ca_file;		/* NULL: the system CAs */
};

struct mirror {
	git_repository *repo;
	char *dir;			/* the bare repository */
	int lock_fd;
	struct giturl url;
	const struct mirror_opts *o;	/* borrowed */
	int recloned;			/* it was (re)made by this open */
	int push_rejected;		/* the last push was refused: the
					 * branch moved (fetch and redo) */
};

/* What the remote advertised, after a fetch. */
struct mirror_heads {
	int has_branch;
	git_oid branch;			/* refs/heads/BRANCH */
	int has_tag;
	git_oid tag;			/* the sync tag's commit (peeled) */
	int fetched;			/* 0: nothing new, no download made */
};

/* Call once before any other mirror function (sets libgit2 options). */
int mirror_global_init(const struct mirror_opts *o, struct buf *err);

/*
 * Lock and open the mirror in dir (created, repaired or re-cloned as
 * needed: see above; the clone itself happens in the first mirror_fetch).
 * 0, or an exit status with err.
 */
int mirror_open(struct mirror *m, const char *dir,
    const struct mirror_opts *o, struct buf *err);

/*
 * Fetch the branch and the tags. A branch the remote does not have is not
 * an error here: heads->has_branch says so. 0, or an exit status.
 */
int mirror_fetch(struct mirror *m, struct mirror_heads *heads,
    struct buf *err);

/*
 * Push refspec ("+refs/tags/flux-sync:refs/tags/flux-sync") to the remote.
 * A rejection is EXIT_CONFIG, with the server's reason, and sets
 * m->push_rejected (so does a push libgit2 sees is not a fast-forward).
 */
int mirror_push(struct mirror *m, const char *refspec, struct buf *err);

/* Open an existing mirror for reading and pushing (no fetch, no clone). */
int mirror_open_existing(struct mirror *m, const char *dir,
    const struct mirror_opts *o, struct buf *err);

void mirror_close(struct mirror *m);

#endif
