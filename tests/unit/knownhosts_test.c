/*
 * Unit tests of lib/knownhosts, against keys and hashed files made by
 * ssh-keygen (openssh-client) in a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/knownhosts.h"
#include "tests/unit/tap.h"

struct key {
	const char *name;
	struct buf line;	/* "type base64" from the .pub file */
	struct buf blob;	/* decoded */
};

static char dir[] = "/tmp/knownhosts_test.XXXXXX";
static struct key ed1 = { "ed1", BUF_INIT, BUF_INIT };
static struct key ed2 = { "ed2", BUF_INIT, BUF_INIT };
static struct key ec1 = { "ec1", BUF_INIT, BUF_INIT };
static struct key rsa1 = { "rsa1", BUF_INIT, BUF_INIT };

/* Run a shell command; "@" in cmd stands for the temporary directory. */
static int
run(const char *cmd)
{
	struct buf b = BUF_INIT;
	const char *p;
	int rc;

	for (p = cmd; *p; p++) {
		if (*p == '@')
			buf_adds(&b, dir);
		else
			buf_addch(&b, *p);
	}
	rc = system(b.s);
	buf_release(&b);
	return rc;
}

static int
read_file(const char *path, struct buf *out)
{
	char chunk[4096];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(out, chunk, n);
	fclose(fp);
	return 0;
}

static int
make_key(struct key *k, const char *type)
{
	struct buf path = BUF_INIT, pub = BUF_INIT;
	char *sp, *sp2;
	int ret = -1;

	buf_addf(&path, "ssh-keygen -q -t %s -N '' -C test -f @/%s", type,
	    k->name);
	if (run(path.s) != 0)
		goto out;
	buf_reset(&path);
	buf_addf(&path, "%s/%s.pub", dir, k->name);
	if (read_file(path.s, &pub) < 0)
		goto out;
	sp = strchr(pub.s, ' ');
	sp2 = sp ? strchr(sp + 1, ' ') : NULL;
	if (sp2 == NULL)
		goto out;
	buf_add(&k->line, pub.s, (size_t)(sp2 - pub.s));
	ret = digest_base64_decode(sp + 1, (size_t)(sp2 - sp - 1), 0,
	    &k->blob);
out:
	buf_release(&path);
	buf_release(&pub);
	return ret;
}

static void
write_hosts(const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	FILE *fp;

	buf_addf(&path, "%s/%s", dir, name);
	fp = fopen(path.s, "w");
	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0)
		printf("Bail out! cannot write '%s'\n", path.s);
	buf_release(&path);
}

/* Check and describe the result as "match 3", "unknown", ... */
static const char *
check(const char *file, const char *host, int port, const struct key *k)
{
	static char out[64];
	static const char *const names[] = {
		"match", "unknown", "changed", "revoked",
	};
	struct buf path = BUF_INIT, err = BUF_INIT;
	enum knownhosts_result res;
	unsigned long line = 99;

	buf_addf(&path, "%s/%s", dir, file);
	if (knownhosts_check(path.s, host, port,
	    (const unsigned char *)k->blob.s, k->blob.len, &res, &line,
	    &err) < 0)
		snprintf(out, sizeof(out), "error");
	else if (res == KNOWNHOSTS_UNKNOWN)
		snprintf(out, sizeof(out), "%s%s", names[res],
		    line ? " with a line" : "");
	else
		snprintf(out, sizeof(out), "%s %lu", names[res], line);
	buf_release(&path);
	buf_release(&err);
	return out;
}

static void
test_key_type_and_fingerprint(void)
{
	static const struct {
		struct key *k;
		const char *type;
	} v[] = {
		{ &ed1, "ssh-ed25519" }, { &ec1, "ecdsa-sha2-nistp256" },
		{ &rsa1, "ssh-rsa" },
	};
	struct buf fp = BUF_INIT, cmd = BUF_INIT, want = BUF_INIT;
	const char *t;
	size_t i, n;
	char *sp;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t = knownhosts_key_type((unsigned char *)v[i].k->blob.s,
		    v[i].k->blob.len, &n);
		ok(t != NULL && n == strlen(v[i].type) &&
		    memcmp(t, v[i].type, n) == 0, "key type %s", v[i].type);

		buf_reset(&fp);
		knownhosts_fingerprint((unsigned char *)v[i].k->blob.s,
		    v[i].k->blob.len, &fp);
		buf_reset(&cmd);
		buf_addf(&cmd, "ssh-keygen -l -E sha256 -f @/%s.pub >@/fp.out",
		    v[i].k->name);
		buf_reset(&want);
		if (run(cmd.s) == 0) {
			buf_reset(&cmd);
			buf_addf(&cmd, "%s/fp.out", dir);
			read_file(cmd.s, &want);
		}
		/* "256 SHA256:... test (ED25519)" */
		sp = strchr(want.s, ' ');
		if (sp && strchr(sp + 1, ' '))
			*strchr(sp + 1, ' ') = '\0';
		is_str(fp.s, sp ? sp + 1 : "(no ssh-keygen output)",
		    "fingerprint of the %s key as ssh-keygen -l prints it",
		    v[i].type);
	}

	ok(knownhosts_key_type((const unsigned char *)"\0\0\0\5ssh-", 8, &n)
	    == NULL && n == 0, "a type longer than the blob is refused");
	ok(knownhosts_key_type((const unsigned char *)"\0\0", 2, &n) == NULL,
	    "a blob too short for a length is refused");
	ok(knownhosts_key_type((const unsigned char *)"\0\0\0\0", 4, &n)
	    == NULL, "an empty type is refused");
	buf_release(&fp);
	buf_release(&cmd);
	buf_release(&want);
}

static void
test_plain(void)
{
	struct buf t = BUF_INIT;

	buf_addf(&t, "# known hosts\n\n   \n"
	    "example.com %s\n"					/* 4 */
	    "other.org,10.0.0.1 %s comment here\n"		/* 5 */
	    "example.com %s\n"					/* 6 */
	    "[127.0.0.1]:2222 %s\n"				/* 7 */
	    "Mixed.Case.Example %s\r\n"				/* 8 */
	    "broken.example ssh-ed25519 !!notbase64!!\n"	/* 9 */
	    "broken.example ssh-rsa %s\n"			/* 10 */
	    "\tindented.example\t%s\n",				/* 11 */
	    ed1.line.s, ed2.line.s, ec1.line.s, ed1.line.s, rsa1.line.s,
	    ed1.line.s + strlen("ssh-ed25519 "), ed2.line.s);
	write_hosts("plain", t.s);

	is_str(check("plain", "example.com", 22, &ed1), "match 4",
	    "the key on file matches");
	is_str(check("plain", "example.com", 0, &ed1), "match 4",
	    "port 0 is the default port");
	is_str(check("plain", "example.com", 22, &ed2), "changed 4",
	    "another key of the same type is a changed key");
	is_str(check("plain", "example.com", 22, &ec1), "match 6",
	    "a host may have a key of each type");
	is_str(check("plain", "example.com", 22, &rsa1), "unknown",
	    "no key of this type for the host: unknown");
	is_str(check("plain", "nowhere.example", 22, &ed1), "unknown",
	    "an unknown host");
	is_str(check("plain", "10.0.0.1", 22, &ed2), "match 5",
	    "the second of a comma-separated list");
	is_str(check("plain", "other.org", 22, &ed1), "changed 5",
	    "the first of a comma-separated list, another key");
	is_str(check("plain", "127.0.0.1", 2222, &ed1), "match 7",
	    "[host]:port for a port other than 22");
	is_str(check("plain", "127.0.0.1", 22, &ed1), "unknown",
	    "[host]:port does not cover port 22");
	is_str(check("plain", "example.com", 2222, &ed1), "unknown",
	    "a plain entry does not cover another port");
	is_str(check("plain", "mixed.case.EXAMPLE", 22, &rsa1), "match 8",
	    "names match without regard to case; CRLF is fine");
	is_str(check("plain", "broken.example", 22, &ed1), "unknown",
	    "bad base64 and a key whose type field lies are skipped");
	is_str(check("plain", "indented.example", 22, &ed2), "match 11",
	    "leading blanks and tabs");
	is_str(check("plain", "examplexcom", 22, &ed1), "unknown",
	    "'.' is no wildcard");
	buf_release(&t);
}

static void
test_patterns(void)
{
	struct buf t = BUF_INIT;

	buf_addf(&t, "*.example.com,!bad.example.com %s\n"	/* 1 */
	    "host?.lan %s\n"					/* 2 */
	    "[git.*]:22?? %s\n"					/* 3 */
	    "!*.internal,*.corp %s\n"				/* 4 */
	    "* %s\n",						/* 5 */
	    ed1.line.s, ed1.line.s, ed1.line.s, ed1.line.s, rsa1.line.s);
	write_hosts("patterns", t.s);

	is_str(check("patterns", "www.example.com", 22, &ed1), "match 1",
	    "'*' matches a run");
	is_str(check("patterns", "a.b.example.com", 22, &ed1), "match 1",
	    "'*' matches across dots");
	is_str(check("patterns", "bad.example.com", 22, &ed1), "unknown",
	    "a negated pattern rules the line out");
	is_str(check("patterns", "example.com", 22, &ed1), "unknown",
	    "'*.example.com' needs the dot");
	is_str(check("patterns", "host1.lan", 22, &ed1), "match 2",
	    "'?' matches one character");
	is_str(check("patterns", "host10.lan", 22, &ed1), "unknown",
	    "'?' matches only one");
	is_str(check("patterns", "git.example", 2222, &ed1), "match 3",
	    "wildcards inside [host]:port");
	is_str(check("patterns", "a.corp", 22, &ed1), "match 4",
	    "a negation that does not match does not matter");
	is_str(check("patterns", "a.internal.corp", 22, &ed1), "match 4",
	    "negation is per pattern");
	is_str(check("patterns", "x.internal", 22, &ed1), "unknown",
	    "a negation first in the list");
	is_str(check("patterns", "anything", 22, &rsa1), "match 5",
	    "'*' alone matches every host");
	buf_release(&t);
}

static void
test_markers(void)
{
	struct buf t = BUF_INIT;

	buf_addf(&t, "@cert-authority *.example.com %s\n"	/* 1 */
	    "example.com %s\n"					/* 2 */
	    "@revoked * %s\n"					/* 3 */
	    "@revoked\tother.example %s\n"			/* 4 */
	    "@bogus example.com %s\n"				/* 5 */
	    "other.example %s\n",				/* 6 */
	    ed1.line.s, ed2.line.s, ed2.line.s, ec1.line.s, rsa1.line.s,
	    ec1.line.s);
	write_hosts("markers", t.s);

	is_str(check("markers", "www.example.com", 22, &ed1), "unknown",
	    "@cert-authority lines are ignored");
	is_str(check("markers", "example.com", 22, &ed2), "revoked 3",
	    "a revoked key is revoked even where it is also listed");
	is_str(check("markers", "example.com", 22, &ed1), "changed 2",
	    "a revoked line is no entry of its own");
	is_str(check("markers", "other.example", 22, &ec1), "revoked 4",
	    "a revocation before the entry");
	is_str(check("markers", "example.com", 22, &rsa1), "unknown",
	    "a line with an unknown marker is skipped");
	buf_release(&t);
}

static void
test_hashed(void)
{
	struct buf t = BUF_INIT, path = BUF_INIT;

	buf_addf(&t, "example.com %s\n[127.0.0.1]:2222 %s\n"
	    "other.example %s\n", ed1.line.s, ec1.line.s, rsa1.line.s);
	write_hosts("hashed", t.s);
	ok(run("ssh-keygen -q -H -f @/hashed >/dev/null 2>&1") == 0,
	    "ssh-keygen -H hashes the file");
	buf_reset(&t);
	buf_addf(&path, "%s/hashed", dir);
	read_file(path.s, &t);
	ok(strstr(t.s, "|1|") != NULL && strstr(t.s, "example.com") == NULL,
	    "the names are hashed");

	is_str(check("hashed", "example.com", 22, &ed1), "match 1",
	    "a hashed name matches");
	is_str(check("hashed", "EXAMPLE.com", 22, &ed1), "match 1",
	    "a hashed name matches the lower-cased host");
	is_str(check("hashed", "example.com", 22, &ed2), "changed 1",
	    "a hashed name with another key");
	is_str(check("hashed", "127.0.0.1", 2222, &ec1), "match 2",
	    "a hashed [host]:port");
	is_str(check("hashed", "127.0.0.1", 22, &ec1), "unknown",
	    "a hashed [host]:port is not port 22");
	is_str(check("hashed", "example.org", 22, &ed1), "unknown",
	    "a hashed name does not match another host");
	is_str(check("hashed", "other.example", 22, &rsa1), "match 3",
	    "a hashed RSA entry");
	buf_release(&t);
	buf_release(&path);
}

static void
test_errors(void)
{
	struct buf err = BUF_INIT;
	enum knownhosts_result res = KNOWNHOSTS_MATCH;
	unsigned long line = 7;

	ok(knownhosts_check("/nonexistent/known_hosts", "h", 22,
	    (unsigned char *)ed1.blob.s, ed1.blob.len, &res, &line, &err) < 0 &&
	    strstr(err.s, "'/nonexistent/known_hosts'") != NULL &&
	    res == KNOWNHOSTS_MATCH && line == 7,
	    "a missing file is an error that names it");
	buf_reset(&err);
	ok(knownhosts_check("/dev/null", "h", 22, (const unsigned char *)"xy",
	    2, &res, &line, &err) < 0 && err.len > 0,
	    "a key that is no key blob is an error");
	buf_reset(&err);
	ok(knownhosts_check("/dev/null", "h", 22, (unsigned char *)ed1.blob.s,
	    ed1.blob.len, &res, &line, &err) == 0 &&
	    res == KNOWNHOSTS_UNKNOWN && line == 0, "an empty file");
	buf_release(&err);
}

int
main(void)
{
	struct key *keys[] = { &ed1, &ed2, &ec1, &rsa1 };
	size_t i;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	if (make_key(&ed1, "ed25519") < 0 || make_key(&ed2, "ed25519") < 0 ||
	    make_key(&ec1, "ecdsa") < 0 || make_key(&rsa1, "rsa -b 2048") < 0) {
		printf("Bail out! cannot make keys with ssh-keygen "
		    "(apt-get install openssh-client)\n");
		run("rm -rf @");
		return 1;
	}
	test_key_type_and_fingerprint();
	test_plain();
	test_patterns();
	test_markers();
	test_hashed();
	test_errors();

	run("rm -rf @");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		buf_release(&keys[i]->line);
		buf_release(&keys[i]->blob);
	}
	return tap_done();
}
