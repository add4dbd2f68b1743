/*
 * checkout.h: keep a plain directory equal to one commit's tree, for
 * generators (kustomize, helm template, scripts) that need real files.
 * Writing 10,000 files costs seconds, so only what changed since the last
 * update is written.
 *
 *	if (checkout_update(repo, &oid, "/var/lib/sluice/work/tree") < 0)
 *		fail;	(already logged)
 *
 * The commit last written is recorded in the sibling file "<dir>.commit"
 * (40 hex digits and a newline), never inside dir, where generators would
 * see it. With no record, an unreadable one, or one naming a commit the
 * repository lacks, dir's contents are removed and the whole tree written.
 * Otherwise the old commit's tree is diffed against the new one and only
 * added, modified, deleted and type-changed paths are touched (a rename is
 * a delete and an add), and directories left empty are removed. The record
 * is removed before an incremental update starts and written (temporary
 * file, fsync, rename) only after it succeeded, so an update that was
 * interrupted or failed is followed by a full rewrite.
 *
 * Modes: 100644 and 100755 are files (0666/0777 less the umask, as git
 * does), 120000 a symlink whose target is the blob's text, 160000
 * (submodule) is skipped, not even an empty directory is made. Blobs are
 * written as stored: no .gitattributes filters, no CRLF conversion, no
 * export-ignore.
 *
 * Nothing is written outside dir: paths with "..", "." or empty
 * components, or absolute ones, are refused; directories are opened
 * component by component from dir with O_NOFOLLOW; whatever is in the way
 * of a directory or a file (a symlink, a file, a directory) is removed
 * first, not followed; and files are created afresh (unlink, then
 * O_CREAT|O_EXCL|O_NOFOLLOW), so a symlink or a hard link planted in dir
 * is never written through.
 *
 * The caller must own dir: the incremental update trusts that dir still
 * holds what the record says. Files a generator adds or changes inside dir
 * are not noticed (they survive until their path changes in git or a full
 * rewrite happens), so run generators on a tree they cannot write, or
 * remove the record to force a full rewrite. Symlinks are created as git
 * would, targets outside dir included: a generator that reads through one
 * reads outside dir.
 *
 * NEEDSWORK: files are not fsynced, only the record is. A process crash is
 * safe, but after a power loss the record may name a commit whose files
 * did not all reach the disk. The remedy (syncfs before the record) is
 * Linux only.
 */
#ifndef SLUICE_CHECKOUT_H
#define SLUICE_CHECKOUT_H

#include <git2.h>

/*
 * Make dir (created if missing, its parent must exist) hold the tree of
 * commit, and record commit in "<dir>.commit". repo and commit are
 * borrowed; a bare repository is fine. Nothing is done when the record
 * already names commit. 0, or -1 logged. The record is removed before dir
 * is first touched, so after a -1 that left dir half updated the next call
 * rewrites everything.
 */
int checkout_update(git_repository *repo, const git_oid *commit,
    const char *dir);

#endif
