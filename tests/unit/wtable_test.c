/* Unit tests of lib/wtable: the bytes of the --output text table. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/wtable.h"
#include "tests/unit/tap.h"

static void
test_table(void)
{
	struct wtable tab = WTABLE_INIT;
	char got[512];
	size_t n;
	FILE *tmp = tmpfile();
	int saved;

	/* the table goes to stdout, which carries the TAP: borrow it */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (tmp == NULL || saved < 0 ||
	    dup2(fileno(tmp), STDOUT_FILENO) < 0) {
		ok(0, "cannot capture stdout");
		return;
	}
	wtable_fit(&tab, "a:b/c");
	wtable_fit(&tab, "prod:deployment/web");
	wtable_fit(&tab, "x");
	wtable_header(&tab, "UPDATES");
	wtable_row(&tab, "prod:deployment/web", "success");
	printf("app: a -> b\n");
	wtable_row(&tab, "", "");
	printf("side: c -> d\n");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(got, 1, sizeof(got) - 1, tmp);
	got[n] = '\0';
	fclose(tmp);
	is_str(got,
	    "WORKLOAD             STATUS    UPDATES\n"
	    "prod:deployment/web  success   app: a -> b\n"
	    "                               side: c -> d\n",
	    "the first column as wide as the longest ID");
	tab = (struct wtable)WTABLE_INIT;
	wtable_fit(&tab, "a:b/c");
	is_int(tab.wid, 8, "never narrower than WORKLOAD");
}

int
main(void)
{
	test_table();
	return tap_done();
}
