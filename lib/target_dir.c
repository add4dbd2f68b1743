#include "lib/target_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/fsx.h"
#include "lib/kinds.h"
#include "lib/xalloc.h"
#include "lib/yamlout.h"
#include "lib/yml.h"
#include "lib/banned.h"

/*
 * The dir:PATH target (target.h): one YAML file per object,
 * PATH/<namespace>/<kind>/<name>.yaml, cluster-scoped objects under
 * PATH/_cluster/, <kind> being the kind lower-cased.
 *
 * Every file and folder under PATH is reached from PATH's descriptor with
 * openat and friends, never by following a symbolic link: folders are
 * opened with FSX_DIR_FLAGS and files with O_NOFOLLOW, so a link planted
 * under PATH makes the request fail instead of writing (or reading, or
 * removing) somewhere else. PATH itself is the operator's choice and may
 * be a link.
 *
 * Like the kube target, nothing is logged here: each request carries its
 * own error. That is also why files are written by write_at below rather
 * than fsx_write_atomic, which logs and works on paths.
 */

#define CLUSTER_DIR "_cluster"
#define MAX_FILE ((size_t)64 * 1024 * 1024)

struct dir {
	char *path;		/* as given, for messages */
	int fd;			/* PATH, open for the target's life */
	struct kinds kinds;	/* the built-in table and noted CRDs */
};

/* ---- names and paths --------------------------------------------------- */

/*
 * Can s name a file or folder under PATH without leaving it or hiding?
 * Not empty, no "/", no leading "." (so neither "." nor "..").
 */
static int
safe_name(const char *s)
{
	return s != NULL && s[0] != '\0' && s[0] != '.' &&
	    strchr(s, '/') == NULL;
}

static char *
lower(const char *s)
{
	char *l = xstrdup(s), *p;

	for (p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/*
 * The folder under PATH for namespace ns of kind k, or NULL with err: the
 * namespace must be a safe name (and not _cluster) for a namespaced kind;
 * a cluster-scoped kind ignores it.
 */
static const char *
ns_dir(const struct target_kind *k, const char *ns, struct buf *err)
{
	if (!safe_name(k->resource)) {
		buf_addf(err, "invalid kind folder '%s' for the dir target",
		    k->resource ? k->resource : "");
		return NULL;
	}
	if (!k->namespaced)
		return CLUSTER_DIR;
	if (!safe_name(ns) || strcmp(ns, CLUSTER_DIR) == 0) {
		buf_addf(err, "invalid namespace '%s' for the dir target "
		    "(empty, '%s', a leading '.' or a '/')", ns ? ns : "",
		    CLUSTER_DIR);
		return NULL;
	}
	return ns;
}

static int
check_name(const char *name, struct buf *err)
{
	if (safe_name(name))
		return 0;
	buf_addf(err, "invalid name '%s' for the dir target (empty, a "
	    "leading '.' or a '/')", name ? name : "");
	return -1;
}

/*
 * Open the folder name in the folder at (making it first if create): a
 * descriptor, or -1 with errno (ENOENT: it is not there).
 */
static int
open_dir(int at, const char *name, int create)
{
	if (create && mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return openat(at, name, FSX_DIR_FLAGS);
}

static void
add_errno(struct buf *err, const char *what, struct buf *path, int e)
{
	if (e == ELOOP || e == ENOTDIR)
		buf_addf(err, "%s '%s': a symbolic link or not a folder, "
		    "which the dir target does not follow", what, path->s);
	else
		buf_addf(err, "%s '%s': %s", what, path->s, strerror(e));
}

/* The folders PATH/nsdir/resource: descriptors, or -1 (see open_dir). */
static int
open_kind_dir(struct dir *d, const char *nsdir, const char *resource,
    int create, int *nsfd, struct buf *path, struct buf *err)
{
	int fd, e;

	buf_reset(path);
	buf_addf(path, "%s/%s", d->path, nsdir);
	*nsfd = open_dir(d->fd, nsdir, create);
	if (*nsfd < 0) {
		if (errno != ENOENT || create)
			add_errno(err, "cannot open the folder", path, errno);
		return -1;
	}
	buf_addf(path, "/%s", resource);
	fd = open_dir(*nsfd, resource, create);
	if (fd < 0) {
		e = errno;
		if (e != ENOENT || create)
			add_errno(err, "cannot open the folder", path, e);
		close(*nsfd);
		*nsfd = -1;
		errno = e;
	}
	return fd;
}

/*
 * Read the file name in the folder dirfd into *data: 0, 1 if there is no
 * such file, -1 with err (a link, not a regular file, unreadable).
 */
static int
read_at(int dirfd, const char *name, struct buf *path, struct buf *data,
    struct buf *err)
{
	struct stat st;
	int fd, e;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			buf_addf(err, "cannot read '%s': a symbolic link, "
			    "which the dir target does not follow", path->s);
		else
			buf_addf(err, "cannot read '%s': %s", path->s,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		buf_addf(err, "cannot read '%s': %s", path->s, strerror(e));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addf(err, "cannot read '%s': not a regular file", path->s);
		close(fd);
		return -1;
	}
	buf_reset(data);
	if (buf_read_fd(data, fd, MAX_FILE) < 0) {
		buf_addf(err, "cannot read '%s': %s", path->s,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- label selectors ---------------------------------------------------- */

enum sel_op {
	SEL_EXISTS,
	SEL_NOT_EXISTS,
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOTIN
};

struct sel_req {
	enum sel_op op;
	char *key;
	char **vals;
	size_t nvals;
};

struct selector {
	struct sel_req *reqs;
	size_t n;
};

static void
selector_release(struct selector *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		for (j = 0; j < s->reqs[i].nvals; j++)
			free(s->reqs[i].vals[j]);
		free(s->reqs[i].vals);
	}
	free(s->reqs);
	s->reqs = NULL;
	s->n = 0;
}

static void
skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A key or value: up to a blank, ',', '(', ')', '=', '!' or the end. */
static char *
sel_word(const char **p)
{
	const char *s = *p;

	while (**p != '\0' && strchr(" \t,()=!", **p) == NULL)
		(*p)++;
	return xstrndup(s, (size_t)(*p - s));
}

static void
sel_add_val(struct sel_req *r, char *v)
{
	r->vals = xreallocarray(r->vals, r->nvals + 1, sizeof(*r->vals));
	r->vals[r->nvals++] = v;
}

/* "in (a, b)" after the operator word: the values, or -1 with *why. */
static int
sel_set(const char **p, struct sel_req *r, const char **why)
{
	skip_ws(p);
	if (**p != '(') {
		*why = "expected '(' after in or notin";
		return -1;
	}
	(*p)++;
	for (;;) {
		skip_ws(p);
		sel_add_val(r, sel_word(p));
		skip_ws(p);
		if (**p == ')')
			break;
		if (**p != ',') {
			*why = "expected ',' or ')' in a set of values";
			return -1;
		}
		(*p)++;
	}
	(*p)++;
	return 0;
}

/* The operator and values after the key. */
static int
sel_op(const char **p, struct sel_req *r, const char **why)
{
	char *w;
	int ret = 0;

	skip_ws(p);
	if (**p == ',' || **p == '\0') {
		r->op = SEL_EXISTS;
		return 0;
	}
	if ((*p)[0] == '=' || ((*p)[0] == '!' && (*p)[1] == '=')) {
		r->op = (*p)[0] == '=' ? SEL_EQ : SEL_NE;
		*p += (*p)[0] == '!' || (*p)[1] == '=' ? 2 : 1;
		skip_ws(p);
		sel_add_val(r, sel_word(p));
		return 0;
	}
	w = sel_word(p);
	if (strcmp(w, "in") == 0 || strcmp(w, "notin") == 0) {
		r->op = w[0] == 'i' ? SEL_IN : SEL_NOTIN;
		ret = sel_set(p, r, why);
	} else {
		*why = "expected '=', '==', '!=', 'in' or 'notin'";
		ret = -1;
	}
	free(w);
	return ret;
}

/*
 * Parse a label selector as kube-apply and gc write them, and as kubectl
 * takes them: a comma-separated AND of key, !key, key=value, key==value,
 * key!=value, key in (a,b), key notin (a,b). NULL or "" selects all.
 */
static int
selector_parse(struct selector *s, const char *text, struct buf *err)
{
	const char *p = text, *why = NULL;
	struct sel_req *r;

	s->reqs = NULL;
	s->n = 0;
	if (text == NULL)
		return 0;
	skip_ws(&p);
	while (*p != '\0') {
		s->reqs = xreallocarray(s->reqs, s->n + 1, sizeof(*s->reqs));
		r = &s->reqs[s->n++];
		memset(r, 0, sizeof(*r));
		skip_ws(&p);
		if (*p == '!') {
			p++;
			skip_ws(&p);
			r->op = SEL_NOT_EXISTS;
			r->key = sel_word(&p);
		} else {
			r->key = sel_word(&p);
			if (r->key[0] != '\0' && sel_op(&p, r, &why) < 0)
				break;
		}
		if (r->key[0] == '\0') {
			why = "expected a label key";
			break;
		}
		skip_ws(&p);
		if (*p == ',') {
			p++;
			skip_ws(&p);
			if (*p == '\0') {
				why = "expected a requirement after ','";
				break;
			}
		} else if (*p != '\0') {
			why = "expected ',' between requirements";
			break;
		}
	}
	if (why == NULL)
		return 0;
	buf_addf(err, "invalid label selector '%s': %s (at offset %zu)",
	    text, why, (size_t)(p - text));
	selector_release(s);
	return -1;
}

/* A scalar's text: a string's bytes, "true", "8080"; NULL for none. */
static const char *
scalar_text(const struct yml_node *n)
{
	if (n == NULL)
		return NULL;
	switch (yml_type(n)) {
	case YML_STR:
		return yml_str(n, NULL);
	case YML_BOOL:
	case YML_INT:
	case YML_FLOAT:
		return yml_scalar_json(n);
	default:
		return NULL;
	}
}

static int
selector_match(const struct selector *s, const struct yml_node *labels)
{
	const struct sel_req *r;
	const struct yml_node *n;
	const char *v;
	size_t i, j;
	int in;

	for (i = 0; i < s->n; i++) {
		r = &s->reqs[i];
		n = yml_get(labels, r->key);
		v = scalar_text(n);
		in = 0;
		for (j = 0; v != NULL && j < r->nvals; j++)
			if (strcmp(v, r->vals[j]) == 0)
				in = 1;
		switch (r->op) {
		case SEL_EXISTS:
			if (n == NULL)
				return 0;
			break;
		case SEL_NOT_EXISTS:
			if (n != NULL)
				return 0;
			break;
		case SEL_EQ:
		case SEL_IN:
			if (!in)
				return 0;
			break;
		case SEL_NE:
		case SEL_NOTIN:
			if (in)
				return 0;
			break;
		}
	}
	return 1;
}

/* ---- the operations ----------------------------------------------------- */

static int
dir_resolve(struct target *t, const char *api_version, const char *kind,
    struct target_kind *out, int *temporary, struct buf *err)
{
	struct dir *d = t->impl;
	const char *group, *slash;
	size_t n;

	(void)temporary;
	out->resource = lower(kind);
	if (!safe_name(out->resource)) {
		buf_addf(err, "invalid kind '%s' for the dir target", kind);
		target_kind_release(out);
		return -1;
	}
	group = kinds_group(api_version, &n);
	slash = strchr(api_version, '/');
	out->group = xstrndup(group, n);
	out->version = xstrdup(slash ? slash + 1 : api_version);
	out->kind = xstrdup(kind);
	/* with no discovery to ask, an unknown kind is taken as namespaced,
	 * as most custom resources are; target_note_crd says otherwise */
	out->namespaced = kinds_scope(&d->kinds, api_version, kind) !=
	    KIND_SCOPE_CLUSTER;
	return 0;
}

static void
dir_note_crd(struct target *t, const char *group, const char *kind,
    const char *scope)
{
	struct dir *d = t->impl;

	kinds_add_crd(&d->kinds, group, kind, scope);
}

static int
dir_refresh(struct target *t, struct buf *err)
{
	(void)t;
	(void)err;
	return 0;
}

static int
dir_wait_established(struct target *t, const char *name, struct buf *err)
{
	(void)t;
	(void)name;
	(void)err;
	return 0;
}

/* Does the entry name in dirfd stand for a folder (not a link to one)? */
static int
is_dir_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/* Is name "<something>.yaml", not hidden? */
static int
yaml_file_name(const char *name, size_t *stem)
{
	size_t n = strlen(name);

	if (name[0] == '.' || n <= 5 || strcmp(name + n - 5, ".yaml") != 0)
		return 0;
	*stem = n - 5;
	return 1;
}

struct kind_list {
	struct target_kind *v;
	size_t n;
};

static int
kind_known(const struct kind_list *l, const char *resource, int namespaced)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].namespaced == namespaced &&
		    strcmp(l->v[i].resource, resource) == 0)
			return 1;
	return 0;
}

/*
 * Learn the kind kept in the folder kfd (named resource) from its first
 * file that says its apiVersion and kind. Files that do not are passed
 * over: list() is where they fail.
 */
static void
kind_from_files(struct kind_list *l, int kfd, const char *resource,
    int namespaced)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error ye;
	struct buf data = BUF_INIT, path = BUF_INIT, err = BUF_INIT;
	struct target_kind *k;
	const char *av, *kind, *slash, *group;
	struct dirent *e;
	size_t stem, n;
	DIR *dp;
	int fd = dup(kfd);

	if (fd < 0 || (dp = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dp)) != NULL) {
		if (!yaml_file_name(e->d_name, &stem))
			continue;
		buf_reset(&err);
		if (read_at(kfd, e->d_name, &path, &data, &err) != 0 ||
		    yml_parse_one(data.s, data.len, &doc, &ye) < 0)
			continue;
		av = yml_get_str(doc.root, "apiVersion");
		kind = yml_get_str(doc.root, "kind");
		if (av != NULL && kind != NULL) {
			l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
			k = &l->v[l->n++];
			group = kinds_group(av, &n);
			slash = strchr(av, '/');
			k->group = xstrndup(group, n);
			k->version = xstrdup(slash ? slash + 1 : av);
			k->kind = xstrdup(kind);
			k->resource = xstrdup(resource);
			k->namespaced = namespaced;
			yml_doc_release(&doc);
			break;
		}
		yml_doc_release(&doc);
	}
	closedir(dp);
	buf_release(&data);
	buf_release(&path);
	buf_release(&err);
}

static int
cmp_kind(const void *a, const void *b)
{
	const struct target_kind *x = a, *y = b;
	int c = strcmp(x->resource, y->resource);

	return c ? c : x->namespaced - y->namespaced;
}

/*
 * The kinds found in the folders, a kind once per scope: _cluster/<kind>
 * is cluster-scoped, <namespace>/<kind> namespaced, whatever the tables
 * say, so that list() looks where the files are.
 */
static int
dir_kinds(struct target *t, struct target_kind **kinds, size_t *n,
    struct buf *err)
{
	struct dir *d = t->impl;
	struct kind_list l = { NULL, 0 };
	struct dirent *e, *ke;
	DIR *root, *nsd;
	int fd, nsfd, kfd, namespaced;

	fd = dup(d->fd);
	if (fd < 0 || (root = fdopendir(fd)) == NULL) {
		buf_addf(err, "cannot read the folder '%s': %s", d->path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(root);
	while ((e = readdir(root)) != NULL) {
		if (e->d_name[0] == '.' || !is_dir_at(d->fd, e->d_name))
			continue;
		namespaced = strcmp(e->d_name, CLUSTER_DIR) != 0;
		nsfd = openat(d->fd, e->d_name, FSX_DIR_FLAGS);
		if (nsfd < 0)
			continue;
		nsd = fdopendir(nsfd);
		if (nsd == NULL) {
			close(nsfd);
			continue;
		}
		while ((ke = readdir(nsd)) != NULL) {
			if (ke->d_name[0] == '.' ||
			    kind_known(&l, ke->d_name, namespaced))
				continue;
			kfd = openat(nsfd, ke->d_name, FSX_DIR_FLAGS);
			if (kfd < 0)
				continue;
			kind_from_files(&l, kfd, ke->d_name, namespaced);
			close(kfd);
		}
		closedir(nsd);
	}
	closedir(root);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_kind);
	*kinds = l.v;
	*n = l.n;
	return 0;
}

static void
add_item(struct target_list_req *r, const char *ns, const char *name,
    size_t len, const struct yml_node *root)
{
	const struct yml_node *meta = yml_get(root, "metadata");
	const struct yml_node *labels = yml_get(meta, "labels");
	const struct yml_node *ann = yml_get(meta, "annotations");
	struct target_live *l;
	const char *s;

	r->items = xreallocarray(r->items, r->nitems + 1, sizeof(*r->items));
	l = &r->items[r->nitems++];
	memset(l, 0, sizeof(*l));
	l->namespace = xstrdup(ns);
	l->name = xstrndup(name, len);
	if ((s = scalar_text(yml_get(ann, "fluxcd.io/sync-checksum"))))
		l->checksum = xstrdup(s);
	if ((s = scalar_text(yml_get(labels, "fluxcd.io/sync-gc-mark"))))
		l->gc_mark = xstrdup(s);
	if ((s = scalar_text(yml_get(ann, "fluxcd.io/ignore"))) ||
	    (s = scalar_text(yml_get(ann, "flux.weave.works/ignore"))))
		l->ignore = xstrdup(s);
	l->owned = yml_len(yml_get(meta, "ownerReferences")) > 0;
}

/*
 * The objects in PATH/nsdir/<kind> that the selector picks, named as in
 * namespace live_ns. 0 (a missing folder holds none), or -1 with r->err.
 */
static int
list_folder(struct dir *d, struct target_list_req *r, const char *nsdir,
    const char *live_ns, const struct selector *sel)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error ye;
	struct buf path = BUF_INIT, data = BUF_INIT;
	struct dirent *e;
	size_t stem, base;
	DIR *dp = NULL;
	int nsfd, kfd, got, ret = -1;

	kfd = open_kind_dir(d, nsdir, r->kind->resource, 0, &nsfd, &path,
	    &r->err);
	if (kfd < 0) {
		if (errno == ENOENT && r->err.len == 0)
			ret = 0;	/* no folder: no objects */
		goto out;
	}
	close(nsfd);
	dp = fdopendir(kfd);
	if (dp == NULL) {
		add_errno(&r->err, "cannot read the folder", &path, errno);
		close(kfd);
		goto out;
	}
	base = path.len;
	while ((errno = 0, e = readdir(dp)) != NULL) {
		if (!yaml_file_name(e->d_name, &stem))
			continue;
		if (r->name != NULL && (strlen(r->name) != stem ||
		    strncmp(e->d_name, r->name, stem) != 0))
			continue;	/* not read at all */
		buf_setlen(&path, base);
		buf_addf(&path, "/%s", e->d_name);
		got = read_at(dirfd(dp), e->d_name, &path, &data, &r->err);
		if (got > 0)
			continue;	/* gone since readdir */
		if (got < 0)
			goto out;
		if (yml_parse_one(data.s, data.len, &doc, &ye) < 0) {
			buf_addf(&r->err, "cannot parse '%s': line %lu, "
			    "column %lu: %s", path.s, ye.line, ye.column,
			    ye.msg);
			goto out;
		}
		if (yml_type(doc.root) != YML_MAP) {
			buf_addf(&r->err, "'%s' does not hold an object",
			    path.s);
			goto out;
		}
		if (selector_match(sel, yml_get(yml_get(doc.root, "metadata"),
		    "labels")))
			add_item(r, live_ns, e->d_name, stem, doc.root);
		yml_doc_release(&doc);
	}
	if (errno != 0) {
		buf_setlen(&path, base);
		add_errno(&r->err, "cannot read the folder", &path, errno);
		goto out;
	}
	ret = 0;
out:
	yml_doc_release(&doc);
	if (dp)
		closedir(dp);
	buf_release(&path);
	buf_release(&data);
	return ret;
}

/* Every namespace folder's objects of r's kind. */
static int
list_all_namespaces(struct dir *d, struct target_list_req *r,
    const struct selector *sel)
{
	struct dirent *e;
	struct stat st;
	DIR *root;
	int fd = dup(d->fd), ret = 0;

	if (fd < 0 || (root = fdopendir(fd)) == NULL) {
		buf_addf(&r->err, "cannot read the folder '%s': %s", d->path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(root);
	while (ret == 0 && (e = readdir(root)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, CLUSTER_DIR) == 0)
			continue;
		if (fstatat(d->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone since readdir */
		if (S_ISLNK(st.st_mode)) {
			buf_addf(&r->err, "'%s/%s' is a symbolic link, which "
			    "the dir target does not follow", d->path,
			    e->d_name);
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			ret = list_folder(d, r, e->d_name, e->d_name, sel);
		}
	}
	closedir(root);
	return ret;
}

static int
cmp_live(const void *a, const void *b)
{
	const struct target_live *x = a, *y = b;
	int c = strcmp(x->namespace, y->namespace);

	return c ? c : strcmp(x->name, y->name);
}

static void
list_one(struct dir *d, struct target_list_req *r)
{
	struct selector sel;
	const char *nsdir;
	int ret = -1;
	size_t i;

	if (selector_parse(&sel, r->selector, &r->err) < 0)
		goto out;
	if (r->kind->namespaced && r->namespace == NULL) {
		if (!safe_name(r->kind->resource))
			buf_addf(&r->err, "invalid kind folder '%s' for the "
			    "dir target", r->kind->resource);
		else
			ret = list_all_namespaces(d, r, &sel);
	} else if ((nsdir = ns_dir(r->kind, r->namespace, &r->err)) != NULL) {
		ret = list_folder(d, r, nsdir, r->kind->namespaced ?
		    r->namespace : "", &sel);
	}
	selector_release(&sel);
out:
	if (ret < 0) {
		/* a failed list lists nothing: gc must not act on a part */
		for (i = 0; i < r->nitems; i++)
			target_live_release(&r->items[i]);
		free(r->items);
		r->items = NULL;
		r->nitems = 0;
		r->failed = 1;
	} else if (r->nitems > 1) {
		qsort(r->items, r->nitems, sizeof(*r->items), cmp_live);
	}
}

static void
dir_list(struct target *t, struct target_list_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		list_one(t->impl, &reqs[i]);
}

static void
apply_one(struct dir *d, struct target_apply_req *r)
{
	struct buf yaml = BUF_INIT, old = BUF_INIT, path = BUF_INIT;
	struct buf file = BUF_INIT;
	json_error_t je;
	json_t *obj = NULL;
	const char *nsdir;
	int nsfd = -1, kfd = -1, got;

	r->action = TARGET_FAILED;
	if ((nsdir = ns_dir(r->kind, r->namespace, &r->err)) == NULL ||
	    check_name(r->name, &r->err) < 0)
		goto out;
	obj = json_loadb(r->body, r->len, 0, &je);
	if (obj == NULL) {
		buf_addf(&r->err, "the object is not JSON: %s", je.text);
		goto out;
	}
	buf_adds(&r->err, "cannot write the object as YAML: ");
	if (yamlout_write(&yaml, obj, &r->err) < 0)
		goto out;
	buf_reset(&r->err);
	buf_addf(&file, "%s.yaml", r->name);
	kfd = open_kind_dir(d, nsdir, r->kind->resource, !r->dry_run, &nsfd,
	    &path, &r->err);
	if (kfd < 0) {
		if (r->dry_run && errno == ENOENT && r->err.len == 0)
			r->action = TARGET_CREATED;
		goto out;
	}
	buf_addf(&path, "/%s", file.s);
	got = read_at(kfd, file.s, &path, &old, &r->err);
	if (got < 0)
		goto out;
	if (got == 0 && old.len == yaml.len &&
	    memcmp(old.s, yaml.s, yaml.len) == 0) {
		r->action = TARGET_UNCHANGED;
		goto out;
	}
	if (!r->dry_run && fsx_write_atomic_at(kfd, file.s, yaml.s, yaml.len,
	    0644, path.s, &r->err) < 0)
		goto out;
	r->action = got > 0 ? TARGET_CREATED : TARGET_CONFIGURED;
out:
	if (kfd >= 0)
		close(kfd);
	if (nsfd >= 0)
		close(nsfd);
	json_decref(obj);
	buf_release(&yaml);
	buf_release(&old);
	buf_release(&path);
	buf_release(&file);
}

static void
dir_apply(struct target *t, struct target_apply_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		apply_one(t->impl, &reqs[i]);
}

static void
delete_one(struct dir *d, struct target_delete_req *r)
{
	struct buf path = BUF_INIT, file = BUF_INIT;
	struct stat st;
	const char *nsdir;
	int nsfd = -1, kfd = -1;

	if ((nsdir = ns_dir(r->kind, r->namespace, &r->err)) == NULL ||
	    check_name(r->name, &r->err) < 0) {
		r->failed = 1;
		goto out;
	}
	buf_addf(&file, "%s.yaml", r->name);
	kfd = open_kind_dir(d, nsdir, r->kind->resource, 0, &nsfd, &path,
	    &r->err);
	if (kfd < 0) {
		if (errno == ENOENT && r->err.len == 0)
			r->gone = 1;
		else
			r->failed = 1;
		goto out;
	}
	buf_addf(&path, "/%s", file.s);
	if (r->dry_run) {
		if (fstatat(kfd, file.s, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			r->gone = 1;
		goto out;
	}
	/* unlinkat removes a link itself, never what it points to */
	if (unlinkat(kfd, file.s, 0) < 0) {
		if (errno == ENOENT) {
			r->gone = 1;
		} else {
			buf_addf(&r->err, "cannot remove '%s': %s", path.s,
			    strerror(errno));
			r->failed = 1;
			goto out;
		}
	}
	/* folders left empty go; ones that are not stay (ENOTEMPTY) */
	close(kfd);
	kfd = -1;
	if (unlinkat(nsfd, r->kind->resource, AT_REMOVEDIR) == 0)
		(void)unlinkat(d->fd, nsdir, AT_REMOVEDIR);
out:
	if (kfd >= 0)
		close(kfd);
	if (nsfd >= 0)
		close(nsfd);
	buf_release(&path);
	buf_release(&file);
}

static void
dir_del(struct target *t, struct target_delete_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		delete_one(t->impl, &reqs[i]);
}

static void
dir_close(struct target *t)
{
	struct dir *d = t->impl;

	if (d == NULL)
		return;
	close(d->fd);
	kinds_release(&d->kinds);
	free(d->path);
	free(d);
	t->impl = NULL;
}

static const struct target_ops dir_ops = {
	.prefetch = NULL,	/* no discovery to start early */
	.settle = NULL,
	.resolve = dir_resolve,
	.note_crd = dir_note_crd,
	.kinds = dir_kinds,
	.refresh = dir_refresh,
	.list = dir_list,
	.apply = dir_apply,
	.del = dir_del,
	.wait_established = dir_wait_established,
	.close = dir_close,
};

/* mkdir -p path: 0, or -1 with errno. */
static int
mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			ret = -1;
		*s = '/';
		if (ret < 0)
			break;
	}
	if (ret == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}

int
target_dir_init(struct target *t, const char *path, int *exit_code,
    struct buf *err)
{
	static const struct kinds kinds_init = KINDS_INIT;
	struct buf id = BUF_INIT;
	struct dir *d;
	char *cwd;
	int fd;

	if (mkdir_p(path) < 0) {
		buf_addf(err, "cannot make the folder '%s': %s", path,
		    strerror(errno));
		*exit_code = EXIT_IOERR;
		return -1;
	}
	/* PATH itself may be a link: the operator named it */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		buf_addf(err, "cannot open the folder '%s': %s", path,
		    strerror(errno));
		*exit_code = EXIT_IOERR;
		return -1;
	}
	d = xcalloc(1, sizeof(*d));
	d->path = xstrdup(path);
	d->fd = fd;
	d->kinds = kinds_init;
	t->ops = &dir_ops;
	t->impl = d;
	/* the same folder whichever folder the tool was started in */
	cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
	buf_addf(&id, "dir:%s%s%s", cwd ? cwd : "", cwd ? "/" : "", path);
	free(cwd);
	t->identity = buf_detach(&id, NULL);
	return 0;
}
