/*
 * dispatcher/cli/client_print.c: printing answers (client.h): an `error`
 * answer for people (and as JSON with --json), and the `result` of one or
 * more pages as one JSON document.
 *
 * Tables are the subcommands' (show.c); this file only prints JSON and
 * error lines.
 */
#include "dispatcher/cli/client_int.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

void tr_cli_print_error(const struct tr_cli *c, const struct tr_msg *m)
{
    const struct tr_error_msg *e = &m->u.error;
    const char *code = tr_msg_wire_code_name(e->code);
    /* people typed flags, not the request's JSON: "args.job_id" -> "job_id" */
    const char *field = strncmp(e->field, "args.", 5) == 0 ? e->field + 5 : e->field;
    fprintf(stderr, "%s: %s%s%s%s: %s\n", c->prog, code, e->has_field ? " [" : "",
            e->has_field ? field : "", e->has_field ? "]" : "", e->message);
    if (c->json) {
        cJSON *o = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(in, "code", code);
        if (e->has_field)
            cJSON_AddStringToObject(in, "field", e->field);
        cJSON_AddStringToObject(in, "message", e->message);
        tr_cli_print_json(o);
    }
}

int tr_cli_print_json(cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return TR_CLI_FAIL;
    puts(text);
    free(text);
    return TR_CLI_OK;
}

int tr_cli_print_results(const struct tr_cli *c, const struct tr_cli_answer *pages, size_t n,
                         const char *list_key)
{
    cJSON *out = NULL, *list = NULL;
    for (size_t i = 0; i < n; i++) {
        cJSON *root = cJSON_ParseWithLength(pages[i].raw, pages[i].raw_len);
        cJSON *res = cJSON_DetachItemFromObjectCaseSensitive(root, "result");
        cJSON_Delete(root);
        if (!res)
            continue;
        if (!out) {
            out = res;
            list = list_key ? cJSON_GetObjectItemCaseSensitive(out, list_key) : NULL;
            continue;
        }
        cJSON *more = list ? cJSON_GetObjectItemCaseSensitive(res, list_key) : NULL;
        for (cJSON *it = more ? more->child : NULL; it;) {
            cJSON *next = it->next;
            cJSON_AddItemToArray(list, cJSON_DetachItemViaPointer(more, it));
            it = next;
        }
        cJSON *total = cJSON_DetachItemFromObjectCaseSensitive(res, "total");
        if (total)
            cJSON_ReplaceItemInObjectCaseSensitive(out, "total", total);
        cJSON_Delete(res);
    }
    if (!out) {
        fprintf(stderr, "%s: no result to print\n", c->prog);
        return TR_CLI_FAIL;
    }
    return tr_cli_print_json(out);
}

int tr_cli_print_item(const struct tr_cli *c, const struct tr_cli_answer *page,
                      const char *list_key, size_t index, const char *out_key)
{
    cJSON *root = cJSON_ParseWithLength(page->raw, page->raw_len);
    cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(res, list_key);
    cJSON *item = cJSON_DetachItemFromArray(list, (int)index);
    cJSON *out = cJSON_CreateObject();
    char *text = NULL;
    if (item && out) {
        cJSON_AddItemToObject(out, out_key, item);
        item = NULL;
        text = cJSON_PrintUnformatted(out);
    }
    cJSON_Delete(item);
    cJSON_Delete(out);
    cJSON_Delete(root);
    if (!text) {
        fprintf(stderr, "%s: no result to print\n", c->prog);
        return TR_CLI_FAIL;
    }
    puts(text);
    free(text);
    return TR_CLI_OK;
}
