/*
 * fluxupd.c: .flux.yaml updaters in a scratch checkout (fluxupd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "lib/checkout.h"
#include "lib/fluxcfg.h"
#include "lib/fluxupd.h"
#include "lib/genrun.h"
#include "lib/gitcommit.h"
#include "lib/log.h"
#include "lib/patchupd.h"
#include "lib/workload.h"
#include "lib/xalloc.h"
#include "lib/yml.h"
#include "lib/banned.h"

#define CONFIG_NAME ".flux.yaml"
/* What one updater may print: it is only kept for an error message. */
#define MAX_OUTPUT (1 << 20)

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "unknown error";
}

int
fluxupd_label(const char *label, struct buf *target, struct buf *cfg)
{
	size_t n = strlen(label), name = strlen(CONFIG_NAME), t, up = 0;
	const char *slash;

	if (n < name || strcmp(label + n - name, CONFIG_NAME) != 0 ||
	    (n > name && label[n - name - 1] != '/'))
		return -1;
	/* target, then one "/.." per folder up to the config's */
	t = n > name ? n - name - 1 : 0;
	while (t >= 3 && memcmp(label + t - 3, "/..", 3) == 0) {
		t -= 3;
		up++;
	}
	buf_reset(target);
	buf_add(target, label, t);
	buf_reset(cfg);
	buf_add(cfg, label, t);
	for (; up > 0; up--) {
		slash = strrchr(cfg->s, '/');
		buf_setlen(cfg, slash != NULL ? (size_t)(slash - cfg->s) : 0);
	}
	if (cfg->len > 0)
		buf_addch(cfg, '/');
	buf_adds(cfg, CONFIG_NAME);
	return 0;
}

/* The bytes of path in u's commit into out: 1, or 0 if not a file. */
static int
read_committed(const struct fluxupd *u, const char *path, struct buf *out)
{
	return gitcommit_blob(u->repo, u->tree, path, out);
}

int
fluxupd_open(struct fluxupd *u, const char *state_dir, const char *source,
    const char *git_dir, const char *commit, struct buf *err)
{
	git_commit *c = NULL;
	git_oid oid;
	struct buf dir = BUF_INIT;
	int rc = -1;

	if (*source == '\0' || strchr(source, '/') != NULL ||
	    strcmp(source, ".") == 0 || strcmp(source, "..") == 0) {
		buf_addf(err, "source name '%s' cannot name a folder", source);
		return -1;
	}
	buf_addf(&dir, "%s/%s", state_dir, source);
	if ((mkdir(state_dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(dir.s, 0700) < 0 && errno != EEXIST)) {
		buf_addf(err, "cannot create '%s': %s", dir.s, strerror(errno));
		buf_release(&dir);
		return -1;
	}
	buf_adds(&dir, "/updaters");
	u->dir = buf_detach(&dir, NULL);
	if (git_repository_open_bare(&u->repo, git_dir) < 0 ||
	    git_oid_fromstr(&oid, commit) < 0 ||
	    git_commit_lookup(&c, u->repo, &oid) < 0 ||
	    git_commit_tree(&u->tree, c) < 0) {
		buf_addf(err, "cannot read commit %s in '%s': %s", commit,
		    git_dir, git_msg());
		goto out;
	}
	if (checkout_update(u->repo, &oid, u->dir) < 0) {
		buf_addf(err, "cannot check the commit out into '%s'", u->dir);
		goto out;
	}
	rc = 0;
out:
	git_commit_free(c);
	return rc;
}

/* label's config, which must be commandUpdated: 0, or -1 with err. */
static int
load_config(const struct fluxupd *u, const char *cfgpath,
    struct fluxcfg *cfg, struct buf *err)
{
	struct buf data = BUF_INIT, json = BUF_INIT;
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error yerr;
	json_t *j = NULL;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (!read_committed(u, cfgpath, &data)) {
		buf_addf(err, "'%s' is not a file in the commit", cfgpath);
		goto out;
	}
	if (yml_parse_one(data.s, data.len, &doc, &yerr) < 0) {
		buf_addf(err, "'%s' line %lu: %s", cfgpath, yerr.line,
		    yerr.msg);
		goto out;
	}
	if (doc.root != NULL) {
		yml_to_json(&json, doc.root);
		j = json_loadb(json.s, json.len, JSON_DECODE_ANY, NULL);
	}
	if (fluxcfg_parse(j, cfg, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(j);
	yml_doc_release(&doc);
	buf_release(&data);
	buf_release(&json);
	return rc;
}

/* patchUpdated, an image: the field must hold what it held. */
static int
set_image(json_t *obj, void *arg, struct buf *err)
{
	const struct fluxupd_image *c = arg;
	json_t *field = workload_pointer_get(obj, c->ptr);

	if (!json_is_string(field) || (c->expect != NULL &&
	    strcmp(json_string_value(field), c->expect) != 0)) {
		buf_addf(err, "'%s' of '%s' is not '%s' in what the generators "
		    "and the patch make now", c->ptr, c->id,
		    c->expect ? c->expect : "");
		return -1;
	}
	json_string_set(field, c->value);
	return 0;
}

struct policy_arg {
	const struct yannot *a;
	size_t n;
};

/* patchUpdated, annotations: set or removed; none left, none at all. */
static int
set_annotations(json_t *obj, void *arg, struct buf *err)
{
	const struct policy_arg *p = arg;
	json_t *meta = json_object_get(obj, "metadata"), *ann;
	size_t i;

	if (!json_is_object(meta)) {
		buf_adds(err, "the object has no metadata");
		return -1;
	}
	ann = json_object_get(meta, "annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(meta, "annotations", ann);
	}
	for (i = 0; i < p->n; i++)
		if (p->a[i].value != NULL)
			json_object_set_new(ann, p->a[i].key,
			    json_string(p->a[i].value));
		else
			json_object_del(ann, p->a[i].key);
	if (json_object_size(ann) == 0)
		json_object_del(meta, "annotations");
	return 0;
}

/* The FLUX_* variables every updater gets, and PATH, in env (n of 8). */
static size_t
workload_env(const char *id, struct buf *var)
{
	const char *colon = strchr(id, ':'), *slash = strchr(id, '/');
	const char *path = getenv("PATH");

	buf_addf(&var[0], "FLUX_WORKLOAD=%s", id);
	buf_addf(&var[1], "FLUX_WL_NS=%.*s", (int)(colon - id), id);
	buf_addf(&var[2], "FLUX_WL_KIND=%.*s", (int)(slash - colon - 1),
	    colon + 1);
	buf_addf(&var[3], "FLUX_WL_NAME=%s", slash + 1);
	buf_addf(&var[4], "PATH=%s", path != NULL ? path :
	    "/usr/local/bin:/usr/bin:/bin");
	return 5;
}

/*
 * Run the updaters' containerImage (policy 0) or policy (1) commands in
 * order in cwd with exactly env; stop at the first that fails.
 */
static int
run_updaters(const struct fluxupd *u, const struct fluxcfg *cfg,
    const char *cfgpath, const char *cwd, int policy, char **env,
    struct buf *err)
{
	struct genrun_result res;
	struct buf why = BUF_INIT;
	size_t i;
	int rc = -1;

	if (cfg->nupdaters == 0) {
		buf_addf(err, "no update.%s commands to run in '%s'",
		    policy ? "policy" : "containerImage", cfgpath);
		return -1;
	}
	for (i = 0; i < cfg->nupdaters; i++) {
		const struct fluxcfg_updater *up = &cfg->updaters[i];
		const struct fluxcfg_command *c = policy ? &up->policy :
		    &up->container_image;
		const char *cmd = (policy ? up->has_policy :
		    up->has_container_image) ? c->command : "";

		if (genrun(cmd, cwd, env, fluxcfg_timeout(c, u->timeout),
		    MAX_OUTPUT, GENRUN_MERGE_STDERR, &res) < 0) {
			buf_addf(err, "cannot run updater '%s' in '%s'", cmd,
			    cwd);
			genrun_result_release(&res);
			goto out;
		}
		buf_reset(&why);
		if (genrun_failed(&res, &why)) {
			buf_addf(err, "updater '%s' of '%s' failed: %s: %.*s",
			    cmd, cfgpath, why.s, (int)(res.out.len > 2000 ?
			    2000 : res.out.len), res.out.s ? res.out.s : "");
			genrun_result_release(&res);
			goto out;
		}
		genrun_result_release(&res);
	}
	rc = 0;
out:
	buf_release(&why);
	return rc;
}

/* The policy an annotation key sets ("automated", "tag.app"). */
static const char *
policy_name(const char *key, struct buf *out)
{
	if (!workload_policy_of(key, out))
		buf_adds(out, key);
	return out->s;
}

/*
 * Change a workload label's config made: an image (c) or its policy
 * annotations (a, n).
 */
static int
update(struct fluxupd *u, const char *label, const char *id,
    const struct fluxupd_image *c, const struct yannot *a, size_t n,
    struct buf *err)
{
	struct buf target = BUF_INIT, cfgpath = BUF_INIT, cwd = BUF_INIT;
	struct buf var[8], name = BUF_INIT;
	struct policy_arg pa = { a, n };
	struct fluxcfg cfg;
	const char *colon = strchr(id, ':'), *slash = strchr(id, '/');
	char *env[9];
	size_t i, k, nvar;
	int rc = -1;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < 8; i++)
		buf_init(&var[i], 0);
	if (fluxupd_label(label, &target, &cfgpath) < 0 || colon == NULL ||
	    slash == NULL || slash < colon) {
		buf_addf(err, "'%s' of '%s' is not a generated workload", id,
		    label);
		goto out;
	}
	if (load_config(u, cfgpath.s, &cfg, err) < 0)
		goto out;
	if (cfg.kind == FLUXCFG_PATCH_UPDATED) {
		if (c != NULL && c->ptr == NULL) {
			buf_addf(err, "no field to change in '%s' of '%s'",
			    c->container, id);
			goto out;
		}
		rc = patchupd_edit(&cfg, u->dir, target.s, u->timeout, id,
		    c != NULL ? set_image : set_annotations,
		    c != NULL ? (void *)c : (void *)&pa, err);
		goto out;
	}
	if (cfg.kind != FLUXCFG_COMMAND_UPDATED) {
		buf_addf(err, "'%s' is %s: it has no updaters", cfgpath.s,
		    fluxcfg_kind_name(cfg.kind));
		goto out;
	}
	/* exactly the FLUX_* variables of Flux v1, and PATH */
	nvar = workload_env(id, var);
	buf_adds(&cwd, u->dir);
	if (target.len > 0)
		buf_addf(&cwd, "/%s", target.s);
	if (c != NULL) {
		buf_addf(&var[nvar++], "FLUX_CONTAINER=%s", c->container);
		buf_addf(&var[nvar++], "FLUX_IMG=%s", c->name);
		buf_addf(&var[nvar++], "FLUX_TAG=%s", c->tag);
		for (i = 0; i < nvar; i++)
			env[i] = var[i].s;
		env[nvar] = NULL;
		rc = run_updaters(u, &cfg, cfgpath.s, cwd.s, 0, env, err);
		goto out;
	}
	/* once per policy; FLUX_POLICY_VALUE unset means removed */
	rc = 0;
	for (k = 0; k < n && rc == 0; k++) {
		for (i = 0; i < k; i++)
			if (strcmp(policy_name(a[i].key, &name),
			    policy_name(a[k].key, &var[nvar])) == 0)
				break;
		buf_reset(&var[nvar]);
		if (i < k)	/* the same policy under another prefix */
			continue;
		buf_reset(&var[nvar + 1]);
		buf_reset(&var[nvar + 2]);
		buf_addf(&var[nvar + 1], "FLUX_POLICY=%s",
		    policy_name(a[k].key, &name));
		for (i = 0; i < nvar; i++)
			env[i] = var[i].s;
		env[nvar] = var[nvar + 1].s;
		env[nvar + 1] = NULL;
		if (a[k].value != NULL) {
			buf_addf(&var[nvar + 2], "FLUX_POLICY_VALUE=%s",
			    a[k].value);
			env[nvar + 1] = var[nvar + 2].s;
			env[nvar + 2] = NULL;
		}
		rc = run_updaters(u, &cfg, cfgpath.s, cwd.s, 1, env, err);
	}
out:
	fluxcfg_release(&cfg);
	buf_release(&target);
	buf_release(&cfgpath);
	buf_release(&cwd);
	buf_release(&name);
	for (i = 0; i < 8; i++)
		buf_release(&var[i]);
	return rc;
}

int
fluxupd_image(struct fluxupd *u, const char *label,
    const struct fluxupd_image *c, struct buf *err)
{
	return update(u, label, c->id, c, NULL, 0, err);
}

int
fluxupd_policy(struct fluxupd *u, const char *label, const char *id,
    const struct yannot *a, size_t n, struct buf *err)
{
	return update(u, label, id, NULL, a, n, err);
}

/* Add path's state now to u->files. 0, or -1 with err. */
static int
add_file(struct fluxupd *u, const char *path, struct buf *err)
{
	struct fluxupd_file *f;
	struct buf full = BUF_INIT;
	struct stat st;
	FILE *fp = NULL;
	char chunk[65536];
	size_t n;
	int rc = -1;

	u->files = xreallocarray(u->files, u->nfiles + 1, sizeof(*u->files));
	f = &u->files[u->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->mode = 0100644;
	f->existed = read_committed(u, path, &f->was);
	buf_addf(&full, "%s/%s", u->dir, path);
	if (lstat(full.s, &st) < 0) {
		if (errno != ENOENT) {
			buf_addf(err, "cannot stat '%s': %s", full.s,
			    strerror(errno));
			goto out;
		}
		f->removed = 1;
		rc = 0;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addf(err, "an updater left '%s', which is not a plain file",
		    path);
		goto out;
	}
	if (st.st_mode & S_IXUSR)
		f->mode = 0100755;
	if ((fp = fopen(full.s, "rb")) == NULL) {
		buf_addf(err, "cannot read '%s': %s", full.s, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&f->now, chunk, n);
	if (ferror(fp)) {
		buf_addf(err, "cannot read '%s'", full.s);
		goto out;
	}
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	buf_release(&full);
	return rc;
}

int
fluxupd_changes(struct fluxupd *u, struct buf *err)
{
	git_diff_options opts;
	git_diff *diff = NULL;
	const git_diff_delta *d;
	size_t i;
	int rc = -1;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* what "git add ." would add: untracked files too, .gitignore kept */
	opts.flags = GIT_DIFF_INCLUDE_UNTRACKED |
	    GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_repository_set_workdir(u->repo, u->dir, 0) < 0 ||
	    git_diff_tree_to_workdir(&diff, u->repo, u->tree, &opts) < 0) {
		buf_addf(err, "cannot compare '%s' with the commit: %s",
		    u->dir, git_msg());
		goto out;
	}
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		d = git_diff_get_delta(diff, i);
		if (add_file(u, d->status == GIT_DELTA_DELETED ?
		    d->old_file.path : d->new_file.path, err) < 0)
			goto out;
	}
	rc = 0;
out:
	git_diff_free(diff);
	return rc;
}

const struct fluxupd_file *
fluxupd_find(const struct fluxupd *u, const char *path)
{
	size_t i;

	for (i = 0; u != NULL && i < u->nfiles; i++)
		if (strcmp(u->files[i].path, path) == 0)
			return &u->files[i];
	return NULL;
}

int
fluxupd_unmoved(const struct fluxupd *u, struct gitcommit *gc,
    struct buf *err)
{
	struct buf now = BUF_INIT;
	const struct fluxupd_file *f;
	size_t i;
	int found, rc = 0;

	for (i = 0; i < u->nfiles && rc == 0; i++) {
		f = &u->files[i];
		buf_reset(&now);
		found = gitcommit_read(gc, f->path, &now);
		if (found != f->existed || (found && (now.len != f->was.len ||
		    memcmp(now.s, f->was.s, now.len) != 0))) {
			buf_addf(err, "'%s' changed in the branch while its "
			    ".flux.yaml updaters ran: the next run tries again",
			    f->path);
			rc = -1;
		}
	}
	buf_release(&now);
	return rc;
}

int
fluxupd_write(const struct fluxupd_file *f, struct buf *out, unsigned *mode)
{
	buf_reset(out);
	if (f->removed)
		return GITCOMMIT_REMOVE;
	buf_add(out, f->now.s, f->now.len);
	*mode = f->mode;
	return GITCOMMIT_WRITE;
}

void
fluxupd_close(struct fluxupd *u)
{
	struct buf record = BUF_INIT;
	size_t i;

	if (u->dir != NULL) {
		/* the commands changed it: the next open writes it afresh */
		buf_addf(&record, "%s.commit", u->dir);
		if (unlink(record.s) < 0 && errno != ENOENT)
			log_warn("cannot remove '%s': %s", record.s,
			    strerror(errno));
	}
	for (i = 0; i < u->nfiles; i++) {
		free(u->files[i].path);
		buf_release(&u->files[i].now);
		buf_release(&u->files[i].was);
	}
	free(u->files);
	git_tree_free(u->tree);
	git_repository_free(u->repo);
	free(u->dir);
	buf_release(&record);
	memset(u, 0, sizeof(*u));
	u->timeout = 60;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
fluxupd_commit_files(struct fluxupd_commit *fc, const struct fluxupd *u,
    const char *const *paths, size_t n)
{
	size_t i, nf = 0, k = 0;

	fc->files = xcalloc(n + u->nfiles + 1, sizeof(*fc->files));
	for (i = 0; i < n; i++)
		fc->files[nf++] = paths[i];
	for (i = 0; i < u->nfiles; i++)
		fc->files[nf++] = u->files[i].path;
	qsort(fc->files, nf, sizeof(*fc->files), cmp_str);
	for (i = 0; i < nf; i++)
		if (k == 0 || strcmp(fc->files[i], fc->files[k - 1]) != 0)
			fc->files[k++] = fc->files[i];
	fc->gc.files = fc->files;
	fc->gc.nfiles = k;
	fc->u = u->nfiles > 0 ? u : NULL;
}

int
fluxupd_commit_check(struct fluxupd_commit *fc, size_t i, struct buf *err)
{
	int rc = 0;

	if (fc->u != NULL && (i == 0 || i <= fc->last))
		rc = fluxupd_unmoved(fc->u, &fc->gc, err);
	fc->last = i;
	return rc;
}

int
fluxupd_commit_run(struct fluxupd_commit *fc, const struct gitopts *g,
    const struct commitopts *o, const char *git_dir, const char *base,
    char *hex, struct buf *err)
{
	int rc;

	gitcommit_setup(&fc->gc, g, o, git_dir, base);
	rc = gitcommit_run(&fc->gc, err);
	memcpy(hex, fc->gc.commit, sizeof(fc->gc.commit));
	free(fc->files);
	fc->files = NULL;
	fc->gc.files = NULL;
	fc->gc.nfiles = 0;
	return rc;
}
