/*
 * fluxcfg.h: a .flux.yaml, checked the way Flux v1 checks it (its embedded
 * JSON schema plus the typed decode that follows; flux-v1-reference.md
 * section 4.1), and turned into a struct manifest-gen can run.
 *
 *	struct fluxcfg cfg;
 *	struct buf err = BUF_INIT;
 *	if (fluxcfg_parse(doc, &cfg, &err) < 0)
 *		... log "invalid '%s': %s", path, err.s ...
 *	fluxcfg_release(&cfg);
 *
 * The input is the file as JSON (lib/yml turns the YAML into JSON); the
 * file's one document, or NULL (or JSON null) for an empty file. doc is
 * borrowed: everything kept in struct fluxcfg is copied.
 *
 * What is accepted, and nothing else (every mapping is closed: an unknown
 * key anywhere is an error):
 *	version: 1                    the number 1 (1.0 too, as JSON Schema's
 *	                              "const: 1" compares numbers by value;
 *	                              not "1", not true)
 *	and exactly one of
 *	commandUpdated: {generators: [command...], updaters: [updater...]}
 *	                              generators required, updaters optional;
 *	                              an updater is {containerImage: command,
 *	                              policy: command}, both optional
 *	patchUpdated: {generators: [command...], patchFile: string}
 *	                              both required; patchFile not ""
 *	scanForFiles: {}              an empty mapping
 * where a command is {command: string, timeout: duration string}, command
 * required; the timeout is a Go duration ("90s", "2m", "1h30m"). A number
 * as timeout is refused, as Flux refuses it.
 *
 * Three things Flux's schema lets through are refused here, each of which
 * only fails later in Flux: patchFile: "" (Flux reads the directory as the
 * patch and fails every sync), scanForFiles with a value that is not a
 * mapping (null leaves Flux with no mode at all), and strings with a NUL
 * byte (they cannot be passed to a shell or be a file name).
 *
 * Errors say where and what, with a JSON-path-like location:
 *	commandUpdated.generators[0]: must be an object with a "command"
 *	string, not a string
 * Only the first problem found is reported.
 */
#ifndef SLUICE_FLUXCFG_H
#define SLUICE_FLUXCFG_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

enum fluxcfg_kind {
	FLUXCFG_SCAN_FOR_FILES,		/* scanForFiles: raw YAML mode */
	FLUXCFG_COMMAND_UPDATED,
	FLUXCFG_PATCH_UPDATED
};

struct fluxcfg_command {
	char *command;			/* owned; may be "" (Flux runs it) */
	/*
	 * Seconds as written, or 0 when not given. Flux v1 uses a command's
	 * own timeout only when it is at least 1s and --sync-timeout
	 * otherwise ("0s" and "-5s" included): fluxcfg_timeout() does that.
	 */
	double timeout;
};

struct fluxcfg_updater {
	/* Unset members are zeroed (command NULL): Flux runs "" for them. */
	struct fluxcfg_command container_image, policy;
	int has_container_image, has_policy;
};

struct fluxcfg {
	enum fluxcfg_kind kind;
	/* commandUpdated and patchUpdated; in file order */
	struct fluxcfg_command *generators;
	size_t ngenerators;
	/* commandUpdated only; in file order */
	struct fluxcfg_updater *updaters;
	size_t nupdaters;
	/* patchUpdated only (NULL otherwise), relative to the target path */
	char *patch_file;
};

/*
 * Check doc and fill *cfg (whatever it held is overwritten, not freed).
 * 0, or -1 with one line (no trailing newline) appended to err saying what
 * is wrong and where; nothing is logged, because only the caller knows the
 * file's name. After -1, *cfg holds nothing (releasing it is harmless).
 */
int fluxcfg_parse(const json_t *doc, struct fluxcfg *cfg, struct buf *err);

/* Free what *cfg owns and zero it; a zeroed struct may be released. */
void fluxcfg_release(struct fluxcfg *cfg);

/*
 * The timeout to run cmd with, in seconds: its own if it is at least 1s,
 * else dflt (Flux v1 passes --sync-timeout). The caller still bounds it by
 * whatever deadline the whole sync has.
 */
double fluxcfg_timeout(const struct fluxcfg_command *cmd, double dflt);

/* "commandUpdated", "patchUpdated" or "scanForFiles" (static). */
const char *fluxcfg_kind_name(enum fluxcfg_kind kind);

#endif
