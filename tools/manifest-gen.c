/*
 * manifest-gen: turn the manifests of a Git revision into one "object"
 * record per Kubernetes object, the way Flux v1 found and read them.
 *
 * In: NDJSON. Acts on "revision" records (from git-fetch): reads the
 * commit's tree straight from the bare repository named by gitDir (no
 * worktree), under each of its paths. The revision record is passed on
 * first (kube-apply and gc need its syncSet), then one "object" record per
 * object, an "error" record per problem, and one "end" record. Other
 * records pass through unchanged, in order.
 * Standalone: --dir DIR reads a plain folder instead, and stdin is not read.
 *
 * Discovery as Flux v1 (docs/manifest-gen.1): each path walked recursively
 * in name order, .yaml/.yml files only, folders holding both Chart.yaml and
 * values.yaml skipped, documents without kind skipped, *List kinds
 * expanded, namespaces defaulted, IDs namespace:kind/name. A file that
 * fails to parse, a duplicate ID, an object without name: an "error"
 * record, and the rest goes on; the "end" record then says ok:false and
 * lists the files that failed.
 *
 * .flux.yaml generators run only with --manifest-generation.
 *
 * Flags: --dir DIR, --path P (repeatable or comma-separated; alias
 * --git-path), --source NAME, --k8s-default-namespace NS,
 * --manifest-generation, --sync-timeout DURATION, --state-dir DIR
 * ($SLUICE_STATE_DIR), --cache, --log-format auto|text|json.
 *
 * --cache keeps, in STATE/SOURCE/render.cache, what each file rendered to,
 * by blob id, and copies it from there while the blob is the same: a pass
 * where one file changed parses one file (lib/manifest_cache.c says which
 * files can be kept). It keeps what each folder's walk met, by tree id,
 * too, so that the same pass reads only the trees above that file (see
 * "Folder entries" below).
 * Exit: 0; 1 some records failed; 64 usage; 65 bad input stream; 74 I/O.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/generate.h"
#include "lib/log.h"
#include "lib/manifest.h"
#include "lib/rec.h"
#include "lib/rendercache.h"
#include "lib/srctree.h"
#include "lib/strmap.h"
#include "lib/tool.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char usage_line[] =
    "usage: manifest-gen [--dir DIR] [--path P]... [--source NAME]\n"
    "                    [--k8s-default-namespace NS] [--manifest-generation]\n"
    "                    [--sync-timeout DURATION] [--state-dir DIR] [--cache]\n"
    "                    [--log-format auto|text|json]";

static const char help_text[] =
    "usage: manifest-gen [options] <revisions.ndjson\n"
    "       manifest-gen --dir DIR [options]\n"
    "\n"
    "Reads the manifests of each \"revision\" record (or of DIR) and writes\n"
    "one \"object\" record per Kubernetes object. See manifest-gen(1).\n"
    "\n"
    "  --dir DIR                    read a plain folder, not stdin\n"
    "  --path P                     a path under the root (repeatable);\n"
    "                               with revisions, adds to their paths\n"
    "  --source NAME                source name for --dir records (local)\n"
    "  --k8s-default-namespace NS   namespace for namespaced objects\n"
    "                               without one (default)\n"
    "  --manifest-generation        run .flux.yaml generators\n"
    "  --sync-timeout DURATION      generator time limit (1m)\n"
    "  --state-dir DIR              where generator checkouts live\n"
    "                               ($SLUICE_STATE_DIR, /var/lib/sluice)\n"
    "  --cache                      reuse what unchanged files rendered to\n"
    "                               last time (kept in the state dir)\n"
    "  --log-format FORMAT          auto, text or json\n";

enum {
	OPT_DIR = 256, OPT_PATH, OPT_SOURCE, OPT_NAMESPACE, OPT_GENERATION,
	OPT_SYNC_TIMEOUT, OPT_STATE_DIR, OPT_CACHE, OPT_LOG_FORMAT, OPT_VERSION
};

static const struct option long_options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "git-path", required_argument, NULL, OPT_PATH },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "k8s-default-namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "manifest-generation", no_argument, NULL, OPT_GENERATION },
	{ "sync-timeout", required_argument, NULL, OPT_SYNC_TIMEOUT },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "cache", no_argument, NULL, OPT_CACHE },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	const char *dir;
	char **paths;
	size_t npaths;
	const char *source;
	const char *default_ns;
	int generation;
	double sync_timeout;
	const char *state_dir;
	int cache;
};

static int
is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* A Helm chart: Flux v1 skips it and everything below it. */
static int
is_chart_dir(struct srctree *t, const char *dir)
{
	struct buf p = BUF_INIT;
	int chart;

	srctree_join(&p, dir, "Chart.yaml");
	chart = srctree_stat(t, p.s) == SRCTREE_FILE;
	if (chart) {
		srctree_join(&p, dir, "values.yaml");
		chart = srctree_stat(t, p.s) == SRCTREE_FILE;
	}
	buf_release(&p);
	return chart;
}

/* Is path, or a folder above it up to the root, a chart? */
static int
under_chart(struct srctree *t, const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash;
	int chart;

	chart = is_chart_dir(t, "");
	for (slash = path; !chart && *slash != '\0'; slash++) {
		slash = strchr(slash, '/');
		buf_reset(&dir);
		buf_add(&dir, path, slash ? (size_t)(slash - path) :
		    strlen(path));
		if (srctree_stat(t, dir.s) == SRCTREE_DIR)
			chart = is_chart_dir(t, dir.s);
		if (slash == NULL)
			break;
	}
	buf_release(&dir);
	return chart;
}

struct walk {
	struct manifest_set *set;
	struct srctree *tree;
	struct rendercache *cache;	/* set->cache, borrowed; or NULL */
	int overlap;			/* more than one path: a folder may
					 * be walked twice */
	struct strmap kept;		/* with overlap, the folders kept in
					 * the cache this run */
	struct buf content;
};

/*
 * Render the YAML file at path, whose blob id (hex) is id, or NULL when
 * not known yet (the file is then found by path). 0, or -1 if it could
 * not be read (an "error" record written).
 */
static int
render_file(struct walk *wk, const char *path, const char *id)
{
	struct buf err = BUF_INIT;
	char key[GIT_OID_HEXSZ + 1];
	int r;

	if (manifest_seen(wk->set, path))
		return 0;	/* overlapping paths: each file is read once */
	if (id == NULL && wk->cache != NULL &&
	    srctree_blob_id(wk->tree, path, key) == 0)
		id = key;
	if (id != NULL && manifest_from_cache(wk->set, path, id))
		return 0;
	buf_reset(&wk->content);
	r = id != NULL ? srctree_read_id(wk->tree, id, &wk->content,
	    MANIFEST_MAX_FILE, &err) : srctree_read(wk->tree, path,
	    &wk->content, MANIFEST_MAX_FILE, &err);
	if (r < 0)
		manifest_fail(wk->set, path, 0, 0, "cannot read '%s': %s",
		    path, err.s);
	else
		manifest_add_blob(wk->set, path, id, wk->content.s,
		    wk->content.len);
	buf_release(&err);
	return r;
}

#define MAX_DEPTH 256

/*
 * Folder entries (lib/rendercache.h). A folder of a commit is found by
 * its path and tree id, and the same tree walks the same way: the same
 * YAML files with the same blob ids, the same subfolders with the same
 * tree ids, in the same order. Its entry lists what the walk met there,
 * each item two fields (rendercache_put): the name in the folder ("/"
 * after a subfolder's) and the object's id in hex. A subfolder stands
 * for its own entry, kept beside it, so each item is written once
 * however deep it lies, and a walk that replays the entry still passes
 * every folder below it, at its own depth (MAX_DEPTH holds there as on a
 * walk of the tree). Its files are rendered as on a walk, from their
 * file entries or, without one (errors, custom resources), by reading
 * the blob by id. Only a walk that did nothing but render readable files
 * is kept: a Helm chart, a special entry warned about, a failure of the
 * walk's own would not be logged or written again by a replay.
 */
static int walk_dir(struct walk *wk, const char *dir, const char *id,
    int depth);

/*
 * The item of a folder entry at *p (before end): its name (n bytes, with
 * the "/" of a folder) and its id into id. 0, or -1 if it is not sound
 * (checked only with check: a second pass over an entry need not).
 */
static int
dir_item(const char **p, const char *end, const char **name, size_t *n,
    char *id, int check)
{
	const char *s;
	size_t i, len;
	unsigned bad = 0;

	if (rendercache_get(p, end, name, n) != 1 || *n == 0 ||
	    rendercache_get(p, end, &s, &len) != 1 || len != GIT_OID_HEXSZ)
		return -1;
	memcpy(id, s, GIT_OID_HEXSZ);
	id[GIT_OID_HEXSZ] = '\0';
	if (!check)
		return 0;
	for (i = 0; i < *n; i++)
		if ((*name)[i] == '\0' || ((*name)[i] == '/' && i + 1 < *n))
			return -1;
	len = *n - ((*name)[*n - 1] == '/');
	if (len == 0 || (len == 1 && **name == '.') ||
	    (len == 2 && memcmp(*name, "..", 2) == 0))
		return -1;
	/* without branches: which of 0-9a-f comes next is a coin toss */
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		bad |= ((unsigned char)(s[i] - '0') > 9) &
		    ((unsigned char)(s[i] - 'a') > 5);
	return bad ? -1 : 0;
}

/* Add an item to a folder entry: name with a "/" for a subfolder. */
static void
dir_item_put(struct buf *b, const char *name, int sub, const char *id)
{
	buf_addf(b, "%zu:%s%s", strlen(name) + (sub != 0), name,
	    sub ? "/" : "");
	rendercache_puts(b, id);
}

/*
 * Keep dir's folder entry, once a run: overlapping paths walk a folder
 * again, one path cannot.
 */
static void
keep_dir(struct walk *wk, const char *dir, const char *id, const char *data,
    size_t n)
{
	if (!wk->overlap || strmap_put(&wk->kept, dir, (void *)1, NULL))
		rendercache_keep_dir(wk->cache, dir, id, data, n);
}

/*
 * Walk folder dir (tree id) as its folder entry (data, n bytes) says,
 * without reading its tree: 1 or 0 as walk_dir, or -1 if the entry is
 * not sound (and nothing was done: the caller walks the tree).
 */
static int
replay_dir(struct walk *wk, const char *dir, const char *id, int depth,
    const char *data, size_t n)
{
	const char *p, *end = data + n, *name;
	char item[GIT_OID_HEXSZ + 1];
	struct buf path = BUF_INIT;
	size_t len;
	int clean = 1, sub;

	/* the whole entry first: nothing is done from a bad one */
	for (p = data; p < end;)
		if (dir_item(&p, end, &name, &len, item, 1) < 0)
			return -1;
	for (p = data; p < end;) {
		(void)dir_item(&p, end, &name, &len, item, 0);
		sub = name[len - 1] == '/';
		buf_reset(&path);
		buf_adds(&path, dir);
		if (*dir != '\0')
			buf_addch(&path, '/');
		buf_add(&path, name, len - sub);
		if (sub ? !walk_dir(wk, path.s, item, depth + 1) :
		    render_file(wk, path.s, item) < 0)
			clean = 0;
	}
	if (clean)
		keep_dir(wk, dir, id, data, n);
	buf_release(&path);
	return clean;
}

/*
 * Walk folder dir at depth, in name order. id is its tree id in hex, or
 * NULL or "" when not known (a plain folder). 1 if the walk did nothing
 * but render readable files (see "Folder entries"), else 0.
 */
static int
walk_dir(struct walk *wk, const char *dir, const char *id, int depth)
{
	struct srctree_entry *e = NULL;
	struct buf err = BUF_INIT, path = BUF_INIT, items = BUF_INIT;
	const char *data;
	size_t i, n = 0, len;
	int clean = 1, keep, r;

	keep = wk->cache != NULL && id != NULL && *id != '\0';
	if (keep && depth <= MAX_DEPTH &&
	    (data = rendercache_find_dir(wk->cache, dir, id, &len)) != NULL &&
	    (r = replay_dir(wk, dir, id, depth, data, len)) >= 0)
		return r;
	if (is_chart_dir(wk->tree, dir)) {
		log_debug("skipping Helm chart '%s'", *dir ? dir : ".");
		return 0;
	}
	if (depth > MAX_DEPTH) {
		manifest_fail(wk->set, dir, 0, 0, "folders nested deeper "
		    "than %d levels", MAX_DEPTH);
		return 0;
	}
	if (srctree_list(wk->tree, dir, &e, &n, &err) < 0) {
		manifest_fail(wk->set, *dir ? dir : ".", 0, 0,
		    "cannot list '%s': %s", *dir ? dir : ".", err.s);
		buf_release(&err);
		return 0;
	}
	for (i = 0; i < n; i++) {
		srctree_join(&path, dir, e[i].name);
		switch (e[i].kind) {
		case SRCTREE_DIR:
			if (!walk_dir(wk, path.s, e[i].id, depth + 1))
				clean = 0;
			else if (keep)
				dir_item_put(&items, e[i].name, 1, e[i].id);
			break;
		case SRCTREE_FILE:
			if (!is_yaml_name(e[i].name))
				break;
			if (render_file(wk, path.s, *e[i].id ? e[i].id :
			    NULL) < 0)
				clean = 0;
			else if (keep)
				dir_item_put(&items, e[i].name, 0, e[i].id);
			break;
		default:
			if (is_yaml_name(e[i].name)) {
				log_warn("skipping '%s': not a regular file "
				    "(symbolic links are not followed)",
				    path.s);
				clean = 0;
			}
			break;
		}
	}
	if (clean && keep)
		keep_dir(wk, dir, id, items.s, items.len);
	srctree_entries_free(e, n);
	buf_release(&path);
	buf_release(&items);
	buf_release(&err);
	return clean;
}

/* Render one target path of a source. */
static void
render_path(struct walk *wk, const struct options *o, const char *raw)
{
	struct buf path = BUF_INIT, err = BUF_INIT, cfg = BUF_INIT;
	char id[GIT_OID_HEXSZ + 1];
	const char *shown;
	enum srctree_kind kind;

	if (srctree_clean_path(raw, &path, &err) < 0) {
		manifest_fail(wk->set, raw, 0, 0, "%s", err.s);
		goto out;
	}
	shown = path.len ? path.s : ".";
	kind = srctree_stat(wk->tree, path.s);
	if (kind == SRCTREE_NONE || kind == SRCTREE_OTHER) {
		manifest_fail(wk->set, shown, 0, 0, "path '%s' not found%s%s",
		    shown, wk->set->o.commit ? " in commit " : "",
		    wk->set->o.commit ? wk->set->o.commit : "");
		goto out;
	}
	if (generate_find_config(wk->tree, path.s, &cfg)) {
		if (o->generation) {
			struct generate_opts g = {
				.sync_timeout = o->sync_timeout,
				.state_dir = o->state_dir,
				.dir = o->dir,
			};

			if (generate_path(wk->set, wk->tree, path.s, cfg.s,
			    &g))
				goto out;
			/* scanForFiles: read the path as plain YAML */
		} else {
			log_warn("'%s' applies to path '%s' but is ignored: "
			    "--manifest-generation is off", cfg.s, shown);
		}
	}
	if (under_chart(wk->tree, path.s)) {
		log_info("skipping path '%s': it is in a Helm chart", shown);
		goto out;
	}
	if (kind == SRCTREE_FILE) {
		if (is_yaml_name(path.s))
			(void)render_file(wk, path.s, NULL);
	} else {
		(void)walk_dir(wk, path.s, wk->cache != NULL &&
		    srctree_tree_id(wk->tree, path.s, id) == 0 ? id : NULL, 0);
	}
out:
	buf_release(&path);
	buf_release(&err);
	buf_release(&cfg);
}

/*
 * What a rendered source leaves to do once its records are out: its
 * render cache written and its memory freed. The next stage waits for the
 * end of the stream, not for this, so main does the last source's after
 * the output is closed; an earlier one's is done when the next revision
 * comes.
 */
struct leftover {
	int active;
	struct manifest_set set;
	struct srctree *tree;
	struct rendercache *cache;
};

static void
leftover_finish(struct leftover *l)
{
	if (!l->active)
		return;
	if (l->cache != NULL)
		(void)rendercache_commit(l->cache);
	rendercache_close(l->cache);
	manifest_set_release(&l->set);
	srctree_free(l->tree);
	l->active = 0;
}

/*
 * Render a whole source into l->set: every path, then the held objects
 * and "end". With a cache, files whose blob it holds are copied from it.
 * l takes tree and cache.
 */
static int
render_source(struct leftover *l, struct srctree *tree,
    const struct manifest_opts *mo, const struct options *o, char **paths,
    size_t npaths, struct rendercache *cache)
{
	struct walk wk;
	size_t i;

	manifest_set_init(&l->set, mo);
	l->set.cache = cache;
	l->tree = tree;
	l->cache = cache;
	l->active = 1;
	wk.set = &l->set;
	wk.tree = tree;
	wk.cache = cache;
	memset(&wk.kept, 0, sizeof(wk.kept));
	wk.overlap = npaths > 1;
	buf_init(&wk.content, 0);
	if (npaths == 0)
		render_path(&wk, o, "");
	for (i = 0; i < npaths; i++)
		render_path(&wk, o, paths[i]);
	manifest_finish(&l->set);
	strmap_release(&wk.kept, NULL);
	buf_release(&wk.content);
	return l->set.nerrors == 0 ? 0 : -1;
}

/*
 * The render cache of a source, STATE/SOURCE/render.cache, or NULL if
 * there can be none (logged: the run goes on without).
 */
static struct rendercache *
open_cache(const struct options *o, const char *source, const char *ns)
{
	struct buf dir = BUF_INIT, params = BUF_INIT;
	struct rendercache *c = NULL;

	if (*source == '\0' || strchr(source, '/') != NULL ||
	    strcmp(source, ".") == 0 || strcmp(source, "..") == 0) {
		log_warn("source name '%s' cannot name a state folder: no "
		    "render cache", source);
		goto out;
	}
	buf_addf(&dir, "%s/%s", o->state_dir, source);
	if ((mkdir(o->state_dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(dir.s, 0700) < 0 && errno != EEXIST)) {
		log_warn("cannot create '%s': %s: no render cache", dir.s,
		    strerror(errno));
		goto out;
	}
	buf_adds(&dir, "/render.cache");
	/* what else decides what a file renders to */
	buf_addf(&params, "manifest-gen %s; default namespace %s",
	    SLUICE_VERSION, ns);
	c = rendercache_open(dir.s, params.s);
out:
	buf_release(&dir);
	buf_release(&params);
	return c;
}

/*
 * One "revision" record: 0, or -1 if anything in it failed. What its
 * rendering leaves to do is left in l (after what the last one left is
 * done).
 */
static int
handle_revision(const struct rec *r, const struct options *o,
    struct leftover *l)
{
	json_t *rev, *jpaths, *v;
	const char *source, *commit, *git_dir;
	struct manifest_opts mo;
	struct srctree *tree;
	struct rendercache *cache;
	struct buf err = BUF_INIT;
	char **paths = NULL;
	size_t i, npaths = 0;
	int ret = -1;

	leftover_finish(l);
	rec_out_line(r->line, r->len);	/* downstream needs its syncSet */
	rev = rec_parse(r);
	if (rev == NULL)
		return -1;
	source = json_string_value(json_object_get(rev, "source"));
	commit = json_string_value(json_object_get(rev, "commit"));
	git_dir = json_string_value(json_object_get(rev, "gitDir"));
	mo.source = source ? source : "";
	mo.commit = commit;
	mo.default_ns = o->default_ns;
	v = json_object_get(rev, "error");
	if (v != NULL && !json_is_null(v)) {
		/* git-fetch failed: nothing to render, and not our failure */
		manifest_end_failed(&mo, "the revision carries an error");
		ret = 0;
		goto out;
	}
	if (source == NULL || commit == NULL || git_dir == NULL) {
		log_error("line %lu: revision record lacks a string %s",
		    r->lineno, source == NULL ? "\"source\"" :
		    commit == NULL ? "\"commit\"" : "\"gitDir\"");
		manifest_end_failed(&mo, "revision record is incomplete");
		goto out;
	}
	jpaths = json_object_get(rev, "paths");
	for (i = 0; i < json_array_size(jpaths); i++) {
		const char *p = json_string_value(json_array_get(jpaths, i));

		if (p == NULL) {
			log_error("line %lu: revision paths must be strings",
			    r->lineno);
			manifest_end_failed(&mo, "revision paths are not "
			    "strings");
			goto out;
		}
		paths = xreallocarray(paths, npaths + 1, sizeof(*paths));
		paths[npaths++] = (char *)p;	/* borrowed from rev */
	}
	for (i = 0; i < o->npaths; i++) {
		paths = xreallocarray(paths, npaths + 1, sizeof(*paths));
		paths[npaths++] = o->paths[i];
	}
	tree = srctree_open_git(git_dir, commit, &err);
	if (tree == NULL) {
		log_event(LOG_ERROR, (const char *const[]){ "source", source,
		    "commit", commit, NULL }, "cannot read '%s': %s",
		    git_dir, err.s);
		manifest_end_failed(&mo, err.s);
		goto out;
	}
	cache = o->cache ? open_cache(o, source, o->default_ns) : NULL;
	ret = render_source(l, tree, &mo, o, paths, npaths, cache);
out:
	free(paths);
	buf_release(&err);
	json_decref(rev);
	return ret;
}

int
main(int argc, char *argv[])
{
	struct tool_status st = TOOL_STATUS_INIT;
	struct rec_reader in = REC_READER_INIT;
	struct leftover left = { 0 };
	struct options o;
	struct rec r;
	int ch, n;

	tool_init("manifest-gen");
	memset(&o, 0, sizeof(o));
	o.source = "local";
	o.default_ns = "default";
	o.sync_timeout = 60;
	o.state_dir = getenv("SLUICE_STATE_DIR");
	if (o.state_dir == NULL || *o.state_dir == '\0')
		o.state_dir = "/var/lib/sluice";
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR: o.dir = optarg; break;
		case OPT_PATH: tool_add_list(&o.paths, &o.npaths, optarg); break;
		case OPT_SOURCE: o.source = optarg; break;
		case OPT_NAMESPACE:
			if (*optarg == '\0')
				tool_usage(usage_line);
			o.default_ns = optarg;
			break;
		case OPT_GENERATION: o.generation = 1; break;
		case OPT_SYNC_TIMEOUT:
			o.sync_timeout = tool_duration(optarg,
			    "--sync-timeout");
			break;
		case OPT_STATE_DIR: o.state_dir = optarg; break;
		case OPT_CACHE: o.cache = 1; break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION:
			tool_help("manifest-gen " SLUICE_VERSION "\n");
		default: tool_usage(usage_line);
		}
	}
	if (optind != argc)
		tool_usage(usage_line);

	git_libgit2_init();
	if (o.dir != NULL) {
		struct manifest_opts mo = { o.source, NULL, o.default_ns };
		struct srctree *tree;
		struct stat sb;

		if (stat(o.dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			die(EXIT_USAGE, "--dir: '%s' is not a folder", o.dir);
		tree = srctree_open_dir(o.dir);
		if (render_source(&left, tree, &mo, &o, o.paths, o.npaths,
		    NULL) < 0)
			tool_note(&st, 0);
	} else {
		while ((n = rec_next(&in, &r)) > 0) {
			if (rec_is(&r, "revision")) {
				if (handle_revision(&r, &o, &left) < 0)
					tool_note(&st, 0);
			} else {
				rec_out_line(r.line, r.len);
			}
			tool_check_output();
		}
		if (n < 0) {
			leftover_finish(&left);	/* its cache is good */
			tool_stream_broken(&in);
		}
	}
	/* kube-apply starts on the end of the stream: it need not wait
	 * for the cache or the frees */
	(void)rec_out_end();
	leftover_finish(&left);
	tool_free_list(o.paths, o.npaths);
	rec_reader_release(&in);
	git_libgit2_shutdown();
	return tool_finish(&st);
}
