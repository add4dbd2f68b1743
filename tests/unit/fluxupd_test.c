/* Unit tests of lib/fluxupd: what needs no checkout or commands. */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fluxupd.h"
#include "tests/unit/tap.h"

static void
test_label(void)
{
	struct buf target = BUF_INIT, cfg = BUF_INIT;

	ok(fluxupd_label("staging/../.flux.yaml", &target, &cfg) == 0,
	    "a generated object's file names its config");
	is_str(target.s, "staging", "the target path");
	is_str(cfg.s, ".flux.yaml", "the config, one folder up");
	ok(fluxupd_label("apps/web.yaml", &target, &cfg) < 0,
	    "a plain file is not a label");
	buf_release(&target);
	buf_release(&cfg);
}

/* Both tools' files: their own, in any order, and the updaters'. */
static void
test_commit_files(void)
{
	struct fluxupd_file uf[2];
	struct fluxupd u = FLUXUPD_INIT, none = FLUXUPD_INIT;
	struct fluxupd_commit fc = FLUXUPD_COMMIT_INIT;
	const char *own[] = { "b.yaml", "a/x.yaml", "b.yaml", "gen/t" };
	const char *want[] = { "a/x.yaml", "b.yaml", "gen/log", "gen/t" };
	char f0[] = "gen/log", f1[] = "gen/t";
	size_t i;

	memset(uf, 0, sizeof(uf));
	uf[0].path = f0;
	uf[1].path = f1;
	u.files = uf;
	u.nfiles = 2;
	fluxupd_commit_files(&fc, &u, own, 4);
	is_int(fc.gc.nfiles, 4, "sorted and distinct: four files");
	for (i = 0; i < 4 && i < fc.gc.nfiles; i++)
		is_str(fc.gc.files[i], want[i], "file %zu", i);
	ok(fc.u == &u, "the updaters' files are checked");
	ok(fluxupd_find(fc.u, "gen/t") == &uf[1],
	    "a file both changed is the updaters'");
	ok(fluxupd_find(fc.u, "b.yaml") == NULL, "an own file is not");
	free(fc.files);

	fc = (struct fluxupd_commit)FLUXUPD_COMMIT_INIT;
	fluxupd_commit_files(&fc, &none, own, 1);
	is_int(fc.gc.nfiles, 1, "no updater files: only the tool's");
	ok(fc.u == NULL, "and nothing to check per attempt");
	free(fc.files);
}

int
main(void)
{
	test_label();
	test_commit_files();
	return tap_done();
}
