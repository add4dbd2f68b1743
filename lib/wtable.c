/*
 * wtable.c: the --output text table of the committing tools (wtable.h).
 */
#include "lib/wtable.h"

#include <stdio.h>
#include <string.h>

#include "lib/banned.h"

void
wtable_fit(struct wtable *t, const char *id)
{
	if ((int)strlen(id) > t->wid)
		t->wid = (int)strlen(id);
}

void
wtable_header(const struct wtable *t, const char *last)
{
	printf("%-*s  %-8s  %s\n", t->wid, "WORKLOAD", "STATUS", last);
}

void
wtable_row(const struct wtable *t, const char *id, const char *status)
{
	printf("%-*s  %-8s  ", t->wid, id, status);
}
