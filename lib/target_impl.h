/*
 * target_impl.h: what a target implementation provides (lib/target.c
 * dispatches to it). Only lib/target*.c include this.
 */
#ifndef SLUICE_TARGET_IMPL_H
#define SLUICE_TARGET_IMPL_H

#include "lib/target.h"

struct target_ops {
	void (*prefetch)(struct target *t);	/* optional, with settle */
	void (*settle)(struct target *t);	/* before every other op */
	int (*resolve)(struct target *t, const char *api_version,
	    const char *kind, struct target_kind *out, int *temporary,
	    struct buf *err);
	void (*note_crd)(struct target *t, const char *group,
	    const char *kind, const char *scope);
	int (*kinds)(struct target *t, struct target_kind **kinds, size_t *n,
	    struct buf *err);
	int (*refresh)(struct target *t, struct buf *err);
	void (*list)(struct target *t, struct target_list_req *reqs, size_t n);
	void (*apply)(struct target *t, struct target_apply_req *reqs,
	    size_t n);
	void (*del)(struct target *t, struct target_delete_req *reqs,
	    size_t n);
	int (*wait_established)(struct target *t, const char *name,
	    struct buf *err);
	void (*close)(struct target *t);	/* frees impl, not t */
};

struct target {
	const struct target_ops *ops;
	void *impl;
	int is_dir;
	char *identity;		/* target_identity; set by the init */
	struct target_opts o;
};

/* Fill t (ops, impl) for "dir:PATH" / "kube"; 0, or -1 with code, err. */
int target_dir_init(struct target *t, const char *path, int *exit_code,
    struct buf *err);
int target_kube_init(struct target *t, int *exit_code, struct buf *err);

#endif
