/*
 * yamlparse: the floor for manifest-gen, a bare libyaml event parse.
 *
 * usage: yamlparse [-r runs] PATH...
 *
 * Each PATH is a file, or a folder walked recursively for files ending in
 * .yaml or .yml, skipping Helm charts (folders with both Chart.yaml and
 * values.yaml) and .git, as manifest-gen does. Every file is read into
 * memory first; then only the parse is timed: yaml_parser_parse until
 * STREAM_END, deleting each event, over all the files. The best of -r runs
 * (default 3) is reported.
 *
 * stdout: one line, "files=F bytes=B docs=D events=E seconds=S MBps=R
 * libyaml=V" (MB are 2^20 bytes; V is the library's version). Exit: 0, 64 (usage), 65 (a file is not YAML),
 * 74 (cannot read).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/mtime.h"
#include "lib/num.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char usage_line[] = "usage: yamlparse [-r runs] PATH...";

struct file {
	char *path;
	char *data;
	size_t len;
};

static struct file *files;
static size_t nfiles, files_alloc;

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void
read_file(const char *path)
{
	struct buf b = BUF_INIT;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || buf_read_fd(&b, fd, (size_t)1 << 30) < 0) {
		fprintf(stderr, "yamlparse: cannot read '%s': %s\n", path,
		    strerror(errno));
		exit(EXIT_IOERR);
	}
	close(fd);
	if (nfiles == files_alloc) {
		files_alloc = files_alloc ? files_alloc * 2 : 1024;
		files = xreallocarray(files, files_alloc, sizeof(*files));
	}
	files[nfiles].path = xstrdup(path);
	files[nfiles].len = b.len;
	files[nfiles].data = buf_detach(&b, NULL);
	nfiles++;
}

static int
exists_in(const char *dir, const char *name)
{
	struct buf p = BUF_INIT;
	struct stat st;
	int ret;

	buf_addf(&p, "%s/%s", dir, name);
	ret = stat(p.s, &st) == 0;
	buf_release(&p);
	return ret;
}

static void
walk(const char *path)
{
	struct buf child = BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "yamlparse: cannot stat '%s': %s\n", path,
		    strerror(errno));
		exit(EXIT_IOERR);
	}
	if (!S_ISDIR(st.st_mode)) {
		read_file(path);
		return;
	}
	if (exists_in(path, "Chart.yaml") && exists_in(path, "values.yaml"))
		return;		/* a Helm chart */
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "yamlparse: cannot open '%s': %s\n", path,
		    strerror(errno));
		exit(EXIT_IOERR);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		buf_reset(&child);
		buf_addf(&child, "%s/%s", path, de->d_name);
		if (stat(child.s, &st) < 0) {
			fprintf(stderr, "yamlparse: cannot stat '%s': %s\n",
			    child.s, strerror(errno));
			exit(EXIT_IOERR);
		}
		if (S_ISDIR(st.st_mode))
			walk(child.s);
		else if (has_suffix(de->d_name, ".yaml") ||
		    has_suffix(de->d_name, ".yml"))
			read_file(child.s);
	}
	if (errno != 0) {
		fprintf(stderr, "yamlparse: cannot read '%s': %s\n", path,
		    strerror(errno));
		exit(EXIT_IOERR);
	}
	closedir(d);
	buf_release(&child);
}

/* Parse one file to its end; the number of events, documents in *docs. */
static unsigned long
parse(const struct file *f, unsigned long *docs)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned long events = 0;
	int done = 0;

	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yamlparse: cannot initialise libyaml\n");
		exit(EXIT_SOFTWARE);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)f->data,
	    f->len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "yamlparse: '%s' line %lu column %lu: "
			    "%s\n", f->path,
			    (unsigned long)parser.problem_mark.line + 1,
			    (unsigned long)parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "parse error");
			exit(EXIT_DATAERR);
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			(*docs)++;
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		events++;
	}
	yaml_parser_delete(&parser);
	return events;
}

int
main(int argc, char *argv[])
{
	unsigned long events = 0, docs = 0;
	double t0, t, best = -1;
	size_t i, bytes = 0;
	long runs = 3, r;
	int ch;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		switch (ch) {
		case 'r':
			if (num_parse_long(optarg, 1, 1000, &runs) < 0) {
				fprintf(stderr, "yamlparse: bad -r '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "%s\n", usage_line);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "%s\n", usage_line);
		return EXIT_USAGE;
	}
	for (; optind < argc; optind++)
		walk(argv[optind]);
	for (i = 0; i < nfiles; i++)
		bytes += files[i].len;

	for (r = 0; r < runs; r++) {
		events = docs = 0;
		t0 = mtime_now();
		for (i = 0; i < nfiles; i++)
			events += parse(&files[i], &docs);
		t = mtime_now() - t0;
		if (best < 0 || t < best)
			best = t;
	}

	printf("files=%zu bytes=%zu docs=%lu events=%lu seconds=%.4f "
	    "MBps=%.1f libyaml=%s\n", nfiles, bytes, docs, events, best,
	    best > 0 ? (double)bytes / 1048576.0 / best : 0.0,
	    yaml_get_version_string());
	for (i = 0; i < nfiles; i++) {
		free(files[i].path);
		free(files[i].data);
	}
	free(files);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "yamlparse: cannot write stdout: %s\n",
		    strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}
