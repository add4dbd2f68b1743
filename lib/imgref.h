/*
 * imgref.h: container image references, split and made canonical the way
 * Flux v1 did (flux-v1-reference.md section 6.2; [F] pkg/image/image.go
 * ParseRef, Name.CanonicalName), and checked against the docker
 * distribution reference grammar, which Flux did not check.
 *
 *	struct imgref r = IMGREF_INIT;
 *	struct buf err = BUF_INIT, name = BUF_INIT;
 *	if (imgref_parse("nginx:1.25", &r, &err) < 0)
 *		... err.s says why ...
 *	imgref_canonical_name(&r, &name);
 *		-- name.s is "index.docker.io/library/nginx"
 *	imgref_release(&r);
 *
 * Splitting. The part before the first "/" is the registry host when it
 * holds a "." or a ":" or is "localhost" (so "localhost:5000/x",
 * "quay.io/a/b" and "registry:5000/x" have one); otherwise the whole name
 * is a Docker Hub path. Then "@digest" is split off, then ":tag".
 *
 * Where this differs from Flux v1, on purpose:
 *  - Flux took the first of three or more components as the host even
 *    without a "." or ":" ("a/b/c" had host "a"), and needed a "." in a
 *    host with a port ("registry:5000/x" was a Docker Hub path with tag
 *    "5000/x"). We follow the docker rule above, which is how the
 *    container runtime pulls the same string.
 *  - Flux knew only "@sha256:" digests; any algorithm of the grammar is
 *    accepted here, and sha256 must be 64 lower-case hex digits.
 *  - Flux checked nothing else; here the host, every path component
 *    (lower case: [a-z0-9] runs joined by ".", "_", "__" or "-"s), the tag
 *    ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), the digest and the name's length
 *    (255) are checked, so a reference the runtime would refuse is refused.
 *
 * No tag is implied: "nginx" has tag NULL, not "latest" (Flux's Ref left
 * it empty too).
 *
 * Every string in a struct imgref is owned by it; imgref_release frees
 * them and leaves the struct as IMGREF_INIT. Nothing here logs.
 */
#ifndef SLUICE_IMGREF_H
#define SLUICE_IMGREF_H

#include "lib/buf.h"

struct imgref {
	char *domain;	/* as written ("localhost:5000"), or NULL */
	char *path;	/* as written: "nginx" stays "nginx" */
	char *tag;	/* NULL when there is none */
	char *digest;	/* "sha256:<hex>", NULL when there is none */
};
#define IMGREF_INIT { NULL, NULL, NULL, NULL }

/* The canonical Docker Hub host, as Flux v1 named it. */
#define IMGREF_DOCKER_HUB "index.docker.io"
/* Longest tag the grammar allows. */
#define IMGREF_TAG_MAX 128
/* Longest name (host, "/" and path) the grammar allows. */
#define IMGREF_NAME_MAX 255

/*
 * Parse s into *out (which is overwritten, not released: pass a released
 * or IMGREF_INIT struct). 0; or -1 with *out left as IMGREF_INIT and a
 * message appended to err ("invalid image reference 'X': tag is longer
 * than 128 characters"). Nothing is logged.
 */
int imgref_parse(const char *s, struct imgref *out, struct buf *err);

void imgref_release(struct imgref *r);

/*
 * The host to ask: IMGREF_DOCKER_HUB for no host or "docker.io", else
 * the host as written (port included). Borrowed from r or static.
 */
const char *imgref_registry(const struct imgref *r);

/*
 * Append the canonical name, without tag or digest: the registry as above,
 * "/", and the path, with "library/" put in front of a one-component
 * Docker Hub path ("nginx" -> "index.docker.io/library/nginx"). This is
 * the name --registry-include-image and --registry-exclude-image globs
 * are matched against.
 */
void imgref_canonical_name(const struct imgref *r, struct buf *out);

/*
 * Append the canonical name with ":tag" and "@digest" when present. (Flux
 * v1's CanonicalRef kept the tag and dropped the digest; two refs that
 * differ only in their digest are different images, so we keep it.)
 */
void imgref_canonical_ref(const struct imgref *r, struct buf *out);

/*
 * Append the reference in the form it was written: the host only if it
 * was given, the path without "library/", then ":tag", then "@digest".
 * A parsed reference comes back byte for byte. (Flux v1's String() wrote
 * only the digest when there was one, dropping the tag.)
 */
void imgref_string(const struct imgref *r, struct buf *out);

/*
 * Like imgref_string with tag in place of r->tag (NULL: no tag). This is
 * what an update writes back: Flux v1 kept the manifest's own spelling
 * and swapped only the tag (WithNewTag). A digest is kept, so a pinned
 * reference stays pinned to the old image: callers that update tags
 * should leave references with a digest alone, as Flux v1 in effect did.
 */
void imgref_string_with_tag(const struct imgref *r, const char *tag,
    struct buf *out);

/*
 * 1 if name matches glob, else 0: the semantics of github.com/ryanuber/
 * go-glob, which Flux v1 used for --registry-include-image and
 * --registry-exclude-image ([F] pkg/cluster/includelist.go) and for glob:
 * tag filters. "*" is the only wildcard; it matches any run of bytes,
 * "/" included, empty included; every other byte ("?", "[", "\") matches
 * itself; the whole name must match; an empty glob matches only "".
 * (go-glob also wrongly matched "a*b" against "a", and panicked on
 * "a*bc" against "a"; neither is reproduced.)
 */
int imgref_glob_match(const char *glob, const char *name);

#endif
