/*
 * dispatcher/cli/contractor.h: what the `truckroll contractor` subcommands
 * and `truckroll fleet` share inside cli/: paging through contractor.list
 * (contractor.c) and the CSV import (contractor_import.c).
 */
#ifndef TR_CLI_CONTRACTOR_H
#define TR_CLI_CONTRACTOR_H

#include <stddef.h>

#include "common/msg.h"
#include "dispatcher/cli/client.h"

#define TR_CLI_MAX_PAGES 1000 /* of up to 1000 contractors each */

/* A contractor.list query paged until `limit` rows (0: all), or until the
 * contractor `find` (NULL: no search) turns up. */
struct tr_contractor_query {
    struct tr_req_contractor_list r; /* skill, available, offset; limit per page is set here */
    long long limit;
    const char *find;
    /* results */
    struct tr_cli_answer *pages;
    size_t n_pages;
    long long shown, total;
    const struct tr_contractor_view *found; /* inside pages */
    const struct tr_cli_answer *found_page;
    size_t found_index;
};

/* Run q (connected client). TR_CLI_OK or an exit code (printed). */
int tr_cli_contractor_query(struct tr_cli *c, struct tr_contractor_query *q);
void tr_cli_contractor_query_free(struct tr_contractor_query *q);

/* truckroll contractor import FILE.csv */
int tr_cli_contractor_import(int argc, char **argv);

#endif
