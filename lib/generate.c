#include "lib/generate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "lib/checkout.h"
#include "lib/fluxcfg.h"
#include "lib/genrun.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/patch.h"
#include "lib/xalloc.h"
#include "lib/yml.h"
#include "lib/banned.h"

#define CONFIG_NAME ".flux.yaml"
/* What one generator may print: as large as a manifest file may be. */
#define MAX_OUTPUT MANIFEST_MAX_FILE

int
generate_find_config(struct srctree *t, const char *path, struct buf *cfg)
{
	struct buf dir = BUF_INIT;
	const char *base, *slash;
	int found = 0;

	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(base, CONFIG_NAME) == 0 &&
	    srctree_stat(t, path) == SRCTREE_FILE) {
		buf_reset(cfg);
		buf_adds(cfg, path);
		return 1;
	}
	/* the target folder, then each parent up to the root, never above */
	buf_adds(&dir, path);
	for (;;) {
		srctree_join(cfg, dir.s, CONFIG_NAME);
		if (srctree_stat(t, cfg->s) == SRCTREE_FILE) {
			found = 1;
			break;
		}
		if (dir.len == 0)
			break;
		slash = strrchr(dir.s, '/');
		buf_setlen(&dir, slash ? (size_t)(slash - dir.s) : 0);
	}
	if (!found)
		buf_reset(cfg);
	buf_release(&dir);
	return found;
}

/*
 * How Flux v1 names a config in messages: the target path, then the
 * config relative to it ("staging/../.flux.yaml"), so that two targets
 * sharing one config get distinct names.
 */
static size_t
depth_of(const char *path, size_t len)
{
	size_t i, d = len > 0;

	for (i = 0; i < len; i++)
		d += path[i] == '/';
	return d;
}

static void
config_label(struct buf *out, const char *target, const char *cfg)
{
	const char *slash = strrchr(cfg, '/');
	size_t up, cfgdir = slash ? (size_t)(slash - cfg) : 0;

	buf_reset(out);
	if (strcmp(target, cfg) == 0) {
		buf_adds(out, cfg);
		return;
	}
	buf_adds(out, target);
	/* one ".." per folder between the target and the config's folder */
	for (up = depth_of(target, strlen(target)) - depth_of(cfg, cfgdir);
	    up > 0; up--)
		buf_adds(out, "/..");
	if (out->len)
		buf_addch(out, '/');
	buf_adds(out, CONFIG_NAME);
}

static int
load_config(struct manifest_set *set, struct srctree *t, const char *cfg,
    const char *label, struct fluxcfg *out)
{
	struct buf data = BUF_INIT, err = BUF_INIT, json = BUF_INIT;
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error yerr;
	json_error_t jerr;
	json_t *j = NULL;
	int ret = -1;

	if (srctree_read(t, cfg, &data, MANIFEST_MAX_FILE, &err) < 0) {
		manifest_fail(set, label, 0, 0, "cannot read '%s': %s", cfg,
		    err.s);
		goto out;
	}
	if (yml_parse_one(data.s, data.len, &doc, &yerr) < 0) {
		manifest_fail(set, label, yerr.line, yerr.column, "%s",
		    yerr.msg);
		goto out;
	}
	if (doc.root != NULL) {
		yml_to_json(&json, doc.root);
		j = json_loadb(json.s, json.len, JSON_DECODE_ANY, &jerr);
		if (j == NULL) {
			manifest_fail(set, label, 0, 0, "cannot read '%s': %s",
			    cfg, jerr.text);
			goto out;
		}
	}
	if (fluxcfg_parse(j, out, &err) < 0) {
		manifest_fail(set, label, 0, 0, "invalid '%s': %s", cfg,
		    err.s);
		goto out;
	}
	ret = 0;
out:
	json_decref(j);
	yml_doc_release(&doc);
	buf_release(&data);
	buf_release(&err);
	buf_release(&json);
	return ret;
}

/* The folder the generators run in, checked out if need be. */
static int
work_dir(struct manifest_set *set, struct srctree *t, const char *target,
    const struct generate_opts *o, const char *label, struct buf *out)
{
	struct buf dir = BUF_INIT;
	const char *src = set->o.source;
	int ret = -1;

	buf_reset(out);
	if (o->dir != NULL) {
		srctree_join(out, o->dir, target);
		return 0;
	}
	if (*src == '\0' || strchr(src, '/') != NULL || strcmp(src, ".") == 0 ||
	    strcmp(src, "..") == 0) {
		manifest_fail(set, label, 0, 0, "source name '%s' cannot name "
		    "a checkout folder", src);
		return -1;
	}
	buf_addf(&dir, "%s/%s", o->state_dir, src);
	if (mkdir(o->state_dir, 0755) < 0 && errno != EEXIST) {
		manifest_fail(set, label, 0, 0, "cannot create '%s': %s",
		    o->state_dir, strerror(errno));
		goto out;
	}
	if (mkdir(dir.s, 0700) < 0 && errno != EEXIST) {
		manifest_fail(set, label, 0, 0, "cannot create '%s': %s",
		    dir.s, strerror(errno));
		goto out;
	}
	buf_adds(&dir, "/checkout");
	if (checkout_update(srctree_repo(t), srctree_commit(t), dir.s) < 0) {
		manifest_fail(set, label, 0, 0, "cannot check out the commit "
		    "into '%s'", dir.s);
		goto out;
	}
	srctree_join(out, dir.s, target);
	ret = 0;
out:
	buf_release(&dir);
	return ret;
}

int
generate_run(const struct fluxcfg *cfg, const char *cwd, double sync_timeout,
    struct buf *stream, struct buf *err)
{
	double deadline = mtime_now() + sync_timeout, left, limit;
	struct genrun_result res;
	struct buf why = BUF_INIT;
	size_t i, n;
	int ret = 0;

	for (i = 0; i < cfg->ngenerators && ret == 0; i++) {
		const struct fluxcfg_command *c = &cfg->generators[i];

		left = deadline - mtime_now();
		limit = fluxcfg_timeout(c, sync_timeout);
		if (limit > left)
			limit = left;
		if (limit <= 0) {
			buf_addf(err, "generator '%s' not run: --sync-timeout "
			    "passed", c->command);
			ret = -1;
			break;
		}
		if (genrun(c->command, cwd, NULL, limit, MAX_OUTPUT, 0,
		    &res) < 0) {
			buf_addf(err, "cannot run generator '%s' in '%s'",
			    c->command, cwd);
			ret = -1;
		} else if (genrun_failed(&res, &why)) {
			n = res.err.len;
			while (n > 0 && (res.err.s[n - 1] == '\n' ||
			    res.err.s[n - 1] == ' '))
				n--;
			buf_addf(err, "generator '%s' failed: %s%s%.*s",
			    c->command, why.s, n ? ": " : "",
			    (int)(n > 4096 ? 4096 : n), res.err.s);
			ret = -1;
		} else {
			if (stream->len > 0) {
				if (stream->s[stream->len - 1] != '\n')
					buf_addch(stream, '\n');
				buf_adds(stream, "---\n");
			}
			buf_add(stream, res.out.s, res.out.len);
		}
		genrun_result_release(&res);
		buf_reset(&why);
	}
	buf_release(&why);
	return ret;
}

int
generate_objects_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gen_object *)a)->id,
	    ((const struct gen_object *)b)->id);
}

int
generate_objects(const struct manifest_set *set, const char *data, size_t len,
    struct gen_object **out, size_t *nout, struct buf *err)
{
	struct yml_parser *p = yml_parser_new(data, len, NULL);
	struct yml_doc doc = YML_DOC_INIT;
	struct buf id = BUF_INIT, json = BUF_INIT;
	struct yml_error yerr;
	const char *kind;
	json_error_t jerr;
	size_t i, n;
	int r, ret = 0;

	while (ret == 0 && (r = yml_parser_next(p, &doc, &yerr)) > 0) {
		struct yml_node *root = doc.root, *items = NULL, *it;

		kind = yml_get_str(root, "kind");
		if (kind == NULL)
			continue;
		n = strlen(kind);
		if (n >= 4 && strcmp(kind + n - 4, "List") == 0) {
			items = yml_get(root, "items");
			n = yml_len(items);
		} else {
			n = 1;
		}
		for (i = 0; i < n; i++) {
			it = items ? yml_at(items, i) : root;
			if (manifest_object_id(set, it, &id) < 0) {
				buf_addf(err, "document at line %lu has no kind "
				    "or metadata.name", yml_line(it));
				ret = -1;
				break;
			}
			buf_reset(&json);
			yml_to_json(&json, it);
			*out = xreallocarray(*out, *nout + 1, sizeof(**out));
			(*out)[*nout].obj = json_loadb(json.s, json.len, 0,
			    &jerr);
			if ((*out)[*nout].obj == NULL) {
				buf_addf(err, "line %lu: %s", yml_line(it),
				    jerr.text);
				ret = -1;
				break;
			}
			(*out)[*nout].id = xstrdup(id.s);
			(*nout)++;
		}
	}
	if (ret == 0 && r < 0) {
		buf_addf(err, "line %lu column %lu: %s", yerr.line, yerr.column,
		    yerr.msg);
		ret = -1;
	}
	if (ret == 0 && *nout > 1)
		qsort(*out, *nout, sizeof(**out), generate_objects_cmp);
	yml_doc_release(&doc);
	yml_parser_free(p);
	buf_release(&id);
	buf_release(&json);
	return ret;
}

void
generate_objects_free(struct gen_object *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		json_decref(v[i].obj);
	}
	free(v);
}

int
generate_read_patch(const struct manifest_set *set, const struct fluxcfg *cfg,
    const char *cwd, struct gen_object **out, size_t *nout, struct buf *err)
{
	struct buf data = BUF_INIT, why = BUF_INIT;
	struct srctree *dir = srctree_open_dir(cwd);
	int ret = -1;

	/* a missing file is an empty patch (its folder must exist) */
	if (srctree_stat(dir, cfg->patch_file) == SRCTREE_FILE &&
	    srctree_read(dir, cfg->patch_file, &data, MANIFEST_MAX_FILE,
	    &why) < 0) {
		buf_addf(err, "cannot read patch file '%s': %s",
		    cfg->patch_file, why.s);
		goto out;
	}
	if (generate_objects(set, data.s, data.len, out, nout, &why) < 0) {
		buf_addf(err, "patch file '%s': %s", cfg->patch_file, why.s);
		goto out;
	}
	ret = 0;
out:
	srctree_free(dir);
	buf_release(&data);
	buf_release(&why);
	return ret;
}

int
generate_apply_patches(struct gen_object *objs, size_t nobjs,
    const struct gen_object *patches, size_t npatches, struct buf *err)
{
	struct gen_object *hit, key;
	struct buf why = BUF_INIT;
	size_t i;

	for (i = 0; i < npatches; i++) {
		key.id = patches[i].id;
		hit = bsearch(&key, objs, nobjs, sizeof(*objs), generate_objects_cmp);
		if (hit == NULL) {
			buf_addf(err, "patch refers to missing resource '%s'",
			    patches[i].id);
			return -1;
		}
		if (patch_apply(hit->obj, patches[i].obj, &why) < 0) {
			buf_addf(err, "cannot apply the patch for '%s': %s",
			    patches[i].id, why.s);
			buf_release(&why);
			return -1;
		}
	}
	return 0;
}

/*
 * patchUpdated: apply the patch file to the generated objects (every patch
 * must name a generated object: Flux v1's "patch refers to missing
 * resource"), and give the result back as one stream sorted by ID.
 */
static int
apply_patch_file(struct manifest_set *set, const struct fluxcfg *cfg,
    const char *cwd, const char *label, struct buf *stream)
{
	struct gen_object *objs = NULL, *patches = NULL;
	struct buf err = BUF_INIT;
	size_t nobjs = 0, npatches = 0, i;
	char *s;
	int ret = -1;

	if (generate_objects(set, stream->s, stream->len, &objs, &nobjs,
	    &err) < 0) {
		manifest_fail(set, label, 0, 0, "generator output: %s", err.s);
		goto out;
	}
	if (generate_read_patch(set, cfg, cwd, &patches, &npatches, &err) < 0 ||
	    generate_apply_patches(objs, nobjs, patches, npatches, &err) < 0) {
		manifest_fail(set, label, 0, 0, "%s", err.s);
		goto out;
	}
	/* JSON is YAML: the patched objects go back through the renderer */
	buf_reset(stream);
	for (i = 0; i < nobjs; i++) {
		s = json_dumps(objs[i].obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s == NULL)
			BUG("cannot serialise a patched object");
		buf_adds(stream, "---\n");
		buf_adds(stream, s);
		buf_addch(stream, '\n');
		free(s);
	}
	ret = 0;
out:
	generate_objects_free(objs, nobjs);
	generate_objects_free(patches, npatches);
	buf_release(&err);
	return ret;
}

int
generate_path(struct manifest_set *set, struct srctree *t, const char *path,
    const char *cfgpath, const struct generate_opts *o)
{
	struct buf label = BUF_INIT, cwd = BUF_INIT, stream = BUF_INIT;
	struct buf err = BUF_INIT;
	struct fluxcfg cfg;
	int ret = 1;

	memset(&cfg, 0, sizeof(cfg));
	config_label(&label, path, cfgpath);
	if (load_config(set, t, cfgpath, label.s, &cfg) < 0)
		goto out;
	if (cfg.kind == FLUXCFG_SCAN_FOR_FILES) {
		ret = 0;
		goto out;
	}
	if (work_dir(set, t, path, o, label.s, &cwd) < 0)
		goto out;
	/* a target that is the config file itself runs in its folder */
	if (strcmp(path, cfgpath) == 0) {
		char *slash = strrchr(cwd.s, '/');

		if (slash != NULL)
			buf_setlen(&cwd, (size_t)(slash - cwd.s));
	}
	if (generate_run(&cfg, cwd.s, o->sync_timeout, &stream, &err) < 0) {
		manifest_fail(set, label.s, 0, 0, "%s", err.s);
		goto out;
	}
	if (cfg.kind == FLUXCFG_PATCH_UPDATED &&
	    apply_patch_file(set, &cfg, cwd.s, label.s, &stream) < 0)
		goto out;
	manifest_add_stream(set, label.s, stream.s, stream.len);
out:
	fluxcfg_release(&cfg);
	buf_release(&label);
	buf_release(&cwd);
	buf_release(&stream);
	buf_release(&err);
	return ret;
}
