/*
 * applystate.h: what kube-apply remembers between runs about one source
 * (kube-apply --state-dir): the checksum of each object the target
 * accepted. An object whose checksum is the one remembered for its ID
 * needs no discovery, no list and no request, so a pass in which one
 * object changed lists one kind in one namespace and sends one request.
 *
 *	struct applystate st = APPLYSTATE_INIT;
 *	struct applystate_writer w;
 *	applystate_key(&key, target_identity(t), allow, nallow);
 *	applystate_load(&st, dir, source, key.s);
 *	... applystate_get(&st, id) is NULL or the remembered checksum ...
 *	applystate_remove(dir, source);		before the first change
 *	applystate_writer_init(&w, key.s);
 *	applystate_writer_add(&w, id, checksum);	for each accepted object
 *	applystate_write(&w, dir, source, &st);
 *	applystate_release(&st);
 *
 * ON DISK. DIR/SOURCE/kube-apply.state, mode 0600, replaced atomically
 * (lib/fsx):
 *
 *	sluice kube-apply state 1
 *	key {"target":"https://10.0.0.1:6443","allow":["a","b"]}
 *	<40 lower-case hex digits> TAB <ID>
 *	...
 *	end <the number of ID lines>
 *
 * The key says what the checksums are valid for: the target (from
 * target_identity) and the options that change outcomes (the allowed
 * namespaces). A file with another key, or that is not whole and well
 * formed in every line (a missing end, a count that does not add up, an
 * ID twice, a stray byte), is ignored entirely: it reads as no state, and
 * why is logged at info level. An ID holding a tab or a newline is never
 * written (its object is then compared as if there were no state).
 *
 * Source names that would leave DIR (empty, ".", "..", holding "/") are
 * refused by applystate_source_ok; the other functions expect an ok one.
 */
#ifndef SLUICE_APPLYSTATE_H
#define SLUICE_APPLYSTATE_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/strmap.h"

/* Files larger than this are refused unread. */
#define APPLYSTATE_MAX_FILE ((size_t)256 << 20)

struct applystate {
	struct strmap sums;	/* ID -> checksum, in sums_mem */
	char *sums_mem;
	struct buf text;	/* the file as read; empty if not loaded */
};
#define APPLYSTATE_INIT { STRMAP_INIT, NULL, BUF_INIT }

/* 1 if source can name a folder under DIR, else 0. */
int applystate_source_ok(const char *source);

/*
 * Append the key for target (an identity, as target_identity gives it)
 * and the nallow allowed namespaces (any order; none: all) to out.
 */
void applystate_key(struct buf *out, const char *target,
    const char *const *allow, size_t nallow);

/*
 * Read DIR/SOURCE/kube-apply.state into *st (which must be empty) if it
 * is whole and its key is key. 1 loaded; 0 none to use (missing, another
 * key, malformed, too large, unreadable: logged at info level, except a
 * missing file) with *st left empty.
 */
int applystate_load(struct applystate *st, const char *dir,
    const char *source, const char *key);

/* The checksum remembered for id (borrowed from st), or NULL. */
const char *applystate_get(const struct applystate *st, const char *id);

void applystate_release(struct applystate *st);

/*
 * Remove DIR/SOURCE/kube-apply.state (a missing one is fine) and sync
 * its folder: done before the target is changed, so that a run that dies
 * before applystate_write leaves no state that says less than the truth.
 * 0, or -1 (logged).
 */
int applystate_remove(const char *dir, const char *source);

/* The next state, built one accepted object at a time. */
struct applystate_writer {
	struct buf text;
	struct strmap ids;	/* written already: the first one counts */
	size_t n;
};

void applystate_writer_init(struct applystate_writer *w, const char *key);
/* Add id's checksum (40 hex digits); an unwritable or repeated id is
 * left out. */
void applystate_writer_add(struct applystate_writer *w, const char *id,
    const char *checksum);
/*
 * Write the state to DIR/SOURCE/kube-apply.state (DIR and DIR/SOURCE made
 * if missing), unless old, the state loaded from that file if the file is
 * still in place (else NULL), was read from the same bytes. Releases w
 * either way. 0, or -1 (logged).
 */
int applystate_write(struct applystate_writer *w, const char *dir,
    const char *source, const struct applystate *old);

#endif
