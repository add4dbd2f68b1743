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
fluxupd_open(struct fluxupd *u, const char *git_dir, const char *commit,
    const char *dir, struct buf *err)
{
	git_commit *c = NULL;
	git_oid oid;
	int rc = -1;

	u->dir = xstrdup(dir);
	if (git_repository_open_bare(&u->repo, git_dir) < 0 ||
	    git_oid_fromstr(&oid, commit) < 0 ||
	    git_commit_lookup(&c, u->repo, &oid) < 0 ||
	    git_commit_tree(&u->tree, c) < 0) {
		buf_addf(err, "cannot read commit %s in '%s': %s", commit,
		    git_dir, git_msg());
		goto out;
	}
	if (checkout_update(u->repo, &oid, dir) < 0) {
		buf_addf(err, "cannot check the commit out into '%s'", dir);
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

int
fluxupd_image(struct fluxupd *u, const char *label,
    const struct fluxupd_image *c, struct buf *err)
{
	const char *id = c->id;
	struct buf target = BUF_INIT, cfgpath = BUF_INIT, cwd = BUF_INIT;
	struct buf var[8], why = BUF_INIT;
	struct fluxcfg cfg;
	struct genrun_result res;
	const char *colon = strchr(c->id, ':'), *slash = strchr(c->id, '/');
	const char *path = getenv("PATH");
	char *env[9];
	size_t i;
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
		if (c->ptr == NULL) {
			buf_addf(err, "no field to change in '%s' of '%s'",
			    c->container, id);
			goto out;
		}
		rc = patchupd_set(&cfg, u->dir, target.s, u->timeout, id,
		    c->ptr, c->value, c->expect, err);
		goto out;
	}
	if (cfg.kind != FLUXCFG_COMMAND_UPDATED) {
		buf_addf(err, "'%s' is %s: it has no updaters", cfgpath.s,
		    fluxcfg_kind_name(cfg.kind));
		goto out;
	}
	if (cfg.nupdaters == 0) {
		buf_addf(err, "no update.containerImage commands to run in "
		    "'%s'", cfgpath.s);
		goto out;
	}
	/* exactly the FLUX_* variables of Flux v1, and PATH */
	buf_addf(&var[0], "FLUX_WORKLOAD=%s", id);
	buf_addf(&var[1], "FLUX_WL_NS=%.*s", (int)(colon - id), id);
	buf_addf(&var[2], "FLUX_WL_KIND=%.*s", (int)(slash - colon - 1),
	    colon + 1);
	buf_addf(&var[3], "FLUX_WL_NAME=%s", slash + 1);
	buf_addf(&var[4], "FLUX_CONTAINER=%s", c->container);
	buf_addf(&var[5], "FLUX_IMG=%s", c->name);
	buf_addf(&var[6], "FLUX_TAG=%s", c->tag);
	buf_addf(&var[7], "PATH=%s", path != NULL ? path :
	    "/usr/local/bin:/usr/bin:/bin");
	for (i = 0; i < 8; i++)
		env[i] = var[i].s;
	env[8] = NULL;
	buf_adds(&cwd, u->dir);
	if (target.len > 0)
		buf_addf(&cwd, "/%s", target.s);
	for (i = 0; i < cfg.nupdaters; i++) {
		const struct fluxcfg_command *uc =
		    &cfg.updaters[i].container_image;
		const char *cmd = cfg.updaters[i].has_container_image ?
		    uc->command : "";

		if (genrun(cmd, cwd.s, env, fluxcfg_timeout(uc, u->timeout),
		    MAX_OUTPUT, GENRUN_MERGE_STDERR, &res) < 0) {
			buf_addf(err, "cannot run updater '%s' in '%s'", cmd,
			    cwd.s);
			genrun_result_release(&res);
			goto out;
		}
		buf_reset(&why);
		if (genrun_failed(&res, &why)) {
			buf_addf(err, "updater '%s' of '%s' failed: %s: %.*s",
			    cmd, cfgpath.s, why.s, (int)(res.out.len > 2000 ?
			    2000 : res.out.len), res.out.s ? res.out.s : "");
			genrun_result_release(&res);
			goto out;
		}
		genrun_result_release(&res);
	}
	rc = 0;
out:
	fluxcfg_release(&cfg);
	buf_release(&target);
	buf_release(&cfgpath);
	buf_release(&cwd);
	for (i = 0; i < 8; i++)
		buf_release(&var[i]);
	buf_release(&why);
	return rc;
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
