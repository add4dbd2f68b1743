/*
 * wtable.h: the table of workloads that img-update and policy print with
 * --output text, as fluxctl printed a release's and a policy change's:
 * WORKLOAD, STATUS and a last column of what changed, the first column as
 * wide as the longest workload ID, so that both tools line up the same.
 *
 *	struct wtable tab = WTABLE_INIT;
 *	wtable_fit(&tab, id);		-- for every ID the table will show
 *	wtable_header(&tab, "UPDATES");
 *	wtable_row(&tab, id, status);	-- the tool then prints the last
 *	printf("%s\n", what);		   column and the newline
 *
 * It writes to stdout, where the records would have gone; the tool's
 * tool_check_output notices a failed write.
 */
#ifndef SLUICE_WTABLE_H
#define SLUICE_WTABLE_H

struct wtable {
	int wid;		/* of the WORKLOAD column */
};
#define WTABLE_INIT { 8 }	/* strlen("WORKLOAD") */

/* Widen the first column for id. */
void wtable_fit(struct wtable *t, const char *id);

/* The header line; last names the last column. */
void wtable_header(const struct wtable *t, const char *last);

/* A row's first two columns and the space before the last. */
void wtable_row(const struct wtable *t, const char *id, const char *status);

#endif
