#include "lib/applystate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsx.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define FILE_NAME "kube-apply.state"
#define MAGIC "sluice kube-apply state 1"
#define SUM_LEN 40

int
applystate_source_ok(const char *source)
{
	return *source != '\0' && strchr(source, '/') == NULL &&
	    strcmp(source, ".") != 0 && strcmp(source, "..") != 0;
}

static void
path_of(struct buf *out, const char *dir, const char *source)
{
	buf_addf(out, "%s/%s/%s", dir, source, FILE_NAME);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * JSON, so that no target or namespace can break the line, and sorted,
 * so that "--k8s-allow-namespace b,a" keys the same state as "a,b".
 */
void
applystate_key(struct buf *out, const char *target, const char *const *allow,
    size_t nallow)
{
	const char **sorted = xcalloc(nallow + 1, sizeof(*sorted));
	size_t i, n = 0;

	for (i = 0; i < nallow; i++)
		sorted[i] = allow[i];
	qsort(sorted, nallow, sizeof(*sorted), cmp_str);
	buf_adds(out, "{\"target\":");
	buf_add_json_str(out, target, strlen(target));
	buf_adds(out, ",\"allow\":[");
	for (i = 0; i < nallow; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (n++ > 0)
			buf_addch(out, ',');
		buf_add_json_str(out, sorted[i], strlen(sorted[i]));
	}
	buf_adds(out, "]}");
	free(sorted);
}

static int
is_sum(const char *s)
{
	size_t i;

	for (i = 0; i < SUM_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/* Is the line [p, p + n) the string s? */
static int
line_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/*
 * Index the entries of st->text, which stays as it was read (so that
 * applystate_write can compare it with the next). NULL if it is whole and
 * has key, else why not (st->sums may then hold a part).
 */
static const char *
parse(struct applystate *st, const char *key)
{
	const char *p = st->text.s, *end = p + st->text.len, *nl;
	struct buf want = BUF_INIT;
	const char *why = NULL;
	size_t n = 0, len, lines = 0;
	int line = 0, ended = 0;
	char *sum;

	if (st->text.len == 0 || end[-1] != '\n')
		return "it does not end with a whole line";
	if (memchr(p, '\0', st->text.len) != NULL)
		return "it holds a NUL byte";
	for (nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		lines++;
	/* the checksums, NUL-terminated, side by side */
	st->sums_mem = xcalloc(lines, SUM_LEN + 1);
	buf_addf(&want, "key %s", key);
	for (; p < end && why == NULL && !ended; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)(nl - p);
		line++;
		if (line == 1) {
			if (!line_is(p, len, MAGIC))
				why = "it is not a state file of this version";
		} else if (line == 2) {
			if (!line_is(p, len, want.s))
				why = "it was made for another target or other "
				    "options";
		} else if (len > 4 && memcmp(p, "end ", 4) == 0) {
			buf_reset(&want);
			buf_addf(&want, "end %zu", n);
			if (!line_is(p, len, want.s))
				why = "its entries do not add up";
			else if (nl + 1 != end)
				why = "there is more after its end";
			ended = 1;
		} else if (len <= SUM_LEN + 1 || p[SUM_LEN] != '\t' ||
		    !is_sum(p) || memchr(p + SUM_LEN + 1, '\t',
		    len - SUM_LEN - 1) != NULL) {
			why = "a line is not an entry";
		} else {
			sum = st->sums_mem + n * (SUM_LEN + 1);
			memcpy(sum, p, SUM_LEN);
			if (strmap_putn(&st->sums, p + SUM_LEN + 1,
			    len - SUM_LEN - 1, sum, NULL) == 0)
				why = "it names an object twice";
			n++;
		}
	}
	if (why == NULL && !ended)
		why = "it is cut short";
	buf_release(&want);
	return why;
}

int
applystate_load(struct applystate *st, const char *dir, const char *source,
    const char *key)
{
	struct buf path = BUF_INIT;
	const char *why;
	struct stat sb;
	int fd, ret = 0;

	path_of(&path, dir, source);
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_info("not using the state '%s': %s", path.s,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode))
		why = "it is not a file";
	else if ((uintmax_t)sb.st_size > APPLYSTATE_MAX_FILE)
		why = "it is too large";
	else if (buf_read_fd(&st->text, fd, APPLYSTATE_MAX_FILE) < 0)
		why = errno == EFBIG ? "it is too large" : strerror(errno);
	else
		why = parse(st, key);
	close(fd);
	if (why != NULL)
		log_info("not using the state '%s': %s", path.s, why);
	else
		ret = 1;
out:
	if (ret == 0)
		applystate_release(st);
	buf_release(&path);
	return ret;
}

const char *
applystate_get(const struct applystate *st, const char *id)
{
	return strmap_get(&st->sums, id);
}

void
applystate_release(struct applystate *st)
{
	strmap_release(&st->sums, NULL);
	free(st->sums_mem);
	st->sums_mem = NULL;
	buf_release(&st->text);
}

int
applystate_remove(const char *dir, const char *source)
{
	struct buf path = BUF_INIT;
	int ret = 0;

	path_of(&path, dir, source);
	if (unlink(path.s) == 0)
		ret = fsx_sync_parent(path.s);
	else if (errno != ENOENT)
		ret = log_errno("cannot remove the state '%s'", path.s);
	buf_release(&path);
	return ret;
}

void
applystate_writer_init(struct applystate_writer *w, const char *key)
{
	memset(w, 0, sizeof(*w));
	buf_init(&w->text, 0);
	buf_addf(&w->text, "%s\nkey %s\n", MAGIC, key);
}

void
applystate_writer_add(struct applystate_writer *w, const char *id,
    const char *checksum)
{
	if (*id == '\0' || strpbrk(id, "\t\n") != NULL ||
	    strlen(checksum) != SUM_LEN || !is_sum(checksum) ||
	    strmap_put(&w->ids, id, (void *)1, NULL) == 0)
		return;
	buf_add(&w->text, checksum, SUM_LEN);
	buf_addch(&w->text, '\t');
	buf_adds(&w->text, id);
	buf_addch(&w->text, '\n');
	w->n++;
}

/* mkdir that is happy with a folder already there. 0, or -1 with errno. */
static int
make_dir(const char *path, mode_t mode)
{
	return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
}

int
applystate_write(struct applystate_writer *w, const char *dir,
    const char *source, const struct applystate *old)
{
	struct buf path = BUF_INIT;
	int ret = 0;

	buf_addf(&w->text, "end %zu\n", w->n);
	if (old != NULL && old->text.len == w->text.len &&
	    memcmp(old->text.s, w->text.s, w->text.len) == 0)
		goto out;	/* no fsync for nothing */
	buf_addf(&path, "%s/%s", dir, source);
	if (make_dir(dir, 0755) < 0 || make_dir(path.s, 0700) < 0) {
		ret = log_errno("cannot create '%s'", path.s);
		goto out;
	}
	buf_reset(&path);
	path_of(&path, dir, source);
	ret = fsx_write_atomic(path.s, w->text.s, w->text.len, 0600);
out:
	buf_release(&path);
	buf_release(&w->text);
	strmap_release(&w->ids, NULL);
	w->n = 0;
	return ret;
}
