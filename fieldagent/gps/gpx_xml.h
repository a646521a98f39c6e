/*
 * fieldagent/gps/gpx_xml.h: the pull scanner under the GPX reader (internal
 * to tr_agent_gpx; not installed, not for other modules).
 *
 * What it does: walk one UTF-8 XML document held in memory and return its
 * events one at a time (start tag with its attributes, end tag, character
 * data), checking well-formedness as it goes: the UTF-8 of the whole input,
 * names, attribute syntax (quotes, no '<', no duplicates), entity and
 * character references (the five predefined ones and &#N; / &#xN;), tag
 * nesting (a fixed stack of TR_GPX_MAX_DEPTH), comments, processing
 * instructions, CDATA sections, a single root element and nothing but
 * comments, PIs and whitespace around it. Every error carries its line.
 *
 * What it does not do: decode entities (text and values are handed out as
 * raw slices of the input; the GPX layer accepts no '&' in the values it
 * reads), namespaces (names are raw, "gpxtpx:hr"), DTDs (a DOCTYPE is
 * rejected), or allocate anything.
 */
#ifndef TR_GPX_XML_H
#define TR_GPX_XML_H

#include <stddef.h>

#include "fieldagent/gps/gpx.h"

#define TR_XML_MAX_ATTRS 32

enum tr_xml_event {
    TR_XML_EOF = 0,   /* the document ended well-formed */
    TR_XML_START = 1, /* name, attrs (a self-closing tag gives START then END) */
    TR_XML_END = 2,   /* name */
    TR_XML_TEXT = 3,  /* text: character data or a CDATA section's content, raw */
    TR_XML_ERROR = 4  /* err_code, err_line, reason */
};

struct tr_xml_slice {
    const char *s;
    size_t len;
};

struct tr_xml_attr {
    struct tr_xml_slice name, value; /* value: raw, without the quotes */
};

struct tr_xml {
    const char *p, *end;
    int line;
    int depth;       /* open elements */
    int root_done;   /* the root element was closed */
    int pending_end; /* a self-closing tag's END is due */
    int started;     /* the prolog was read */
    struct tr_xml_slice open[TR_GPX_MAX_DEPTH];
    /* the current event */
    struct tr_xml_slice name, text;
    struct tr_xml_attr attrs[TR_XML_MAX_ATTRS];
    size_t n_attrs;
    int event_line;
    /* the error, once TR_XML_ERROR was returned (sticky) */
    int err_code; /* enum tr_gpx_err */
    int err_line;
    char reason[96];
};

/* Start scanning buf[0..len). */
void tr_xml_init(struct tr_xml *x, const char *buf, size_t len);
/* The next event. After TR_XML_EOF or TR_XML_ERROR it keeps returning the
 * same. */
enum tr_xml_event tr_xml_next(struct tr_xml *x);
/* The value of attribute `name` of the current START, or NULL. */
const struct tr_xml_slice *tr_xml_attr(const struct tr_xml *x, const char *name);
/* 1 if the slice equals the NUL-terminated string. */
int tr_xml_eq(struct tr_xml_slice s, const char *str);
/* A decimal number ([+-]digits[.digits][e[+-]digits], XML whitespace
 * around it allowed, < TR_GPX_MAX_VALUE bytes, finite): 0 and *out, or -1.
 * (gpx_value.c) */
int tr_xml_number(struct tr_xml_slice v, double *out);

#endif
