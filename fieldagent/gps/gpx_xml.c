/*
 * fieldagent/gps/gpx_xml.c: the well-formedness-checking XML pull scanner
 * under the GPX reader (see gpx_xml.h). No allocation, no I/O, no entity
 * decoding, no DTD.
 */
#include "fieldagent/gps/gpx_xml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum tr_xml_event fail(struct tr_xml *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum tr_xml_event fail(struct tr_xml *x, int code, const char *fmt, ...)
{
    if (x->err_code == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->reason, sizeof x->reason, fmt, ap);
        va_end(ap);
        x->err_code = code;
        x->err_line = x->line;
    }
    return TR_XML_ERROR;
}

static size_t left(const struct tr_xml *x)
{
    return (size_t)(x->end - x->p);
}

static int starts(const struct tr_xml *x, const char *lit)
{
    size_t n = strlen(lit);
    return left(x) >= n && memcmp(x->p, lit, n) == 0;
}

/* Move forward n bytes, counting lines. */
static void skip(struct tr_xml *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x->p[i] == '\n')
            x->line++;
    x->p += n;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_space(struct tr_xml *x)
{
    while (x->p < x->end && is_space((unsigned char)*x->p))
        skip(x, 1);
}

static int name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static int name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Read a name at p; 0 if there is none. */
static int read_name(struct tr_xml *x, struct tr_xml_slice *out)
{
    const char *s = x->p;
    if (s >= x->end || !name_start((unsigned char)*s))
        return 0;
    while (x->p < x->end && name_char((unsigned char)*x->p))
        x->p++;
    out->s = s;
    out->len = (size_t)(x->p - s);
    return 1;
}

/* Find lit from p; its offset from p, or -1. */
static long find(const struct tr_xml *x, const char *lit)
{
    size_t n = strlen(lit), avail = left(x);
    for (size_t i = 0; i + n <= avail; i++)
        if (memcmp(x->p + i, lit, n) == 0)
            return (long)i;
    return -1;
}

static int xml_char_ok(unsigned long c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Check an entity or character reference at s (which points at '&');
 * its length including ';', or 0 if malformed. */
static size_t check_ref(const char *s, const char *end)
{
    static const char *const named[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;" };
    size_t avail = (size_t)(end - s);
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i]);
        if (avail >= n && memcmp(s, named[i], n) == 0)
            return n;
    }
    if (avail < 4 || s[1] != '#')
        return 0;
    int hex = s[2] == 'x';
    size_t i = hex ? 3 : 2, digits = 0;
    unsigned long v = 0;
    for (; i < avail && s[i] != ';'; i++, digits++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (hex && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        if (digits >= 8)
            return 0;
        v = v * (hex ? 16u : 10u) + (unsigned long)d;
    }
    if (i >= avail || digits == 0 || !xml_char_ok(v))
        return 0;
    return i + 1;
}

/* Check the whole input: UTF-8, no NUL, no C0 control other than tab, LF,
 * CR. Returns 0 or the 1-based line of the first bad byte. */
static int check_utf8(const unsigned char *s, size_t n)
{
    int line = 1;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == '\n')
            line++;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return line;
            i++;
            continue;
        }
        size_t len;
        unsigned long cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return line;
        }
        if (n - i < len)
            return line;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0u) != 0x80u)
                return line;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return line;
        i += len;
    }
    return 0;
}

static int ascii_ieq(struct tr_xml_slice s, const char *str)
{
    size_t n = strlen(str);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int a = (unsigned char)s.s[i], b = (unsigned char)str[i];
        if (a >= 'A' && a <= 'Z')
            a += 'a' - 'A';
        if (b >= 'A' && b <= 'Z')
            b += 'a' - 'A';
        if (a != b)
            return 0;
    }
    return 1;
}

/* Attributes of a start tag (or the XML declaration): from p up to the
 * closing '>' / '/>' (or '?>' when decl). Fills x->attrs. Returns 0, or -1
 * after fail(). *self_close tells '/>'. */
static int read_attrs(struct tr_xml *x, int decl, int *self_close)
{
    x->n_attrs = 0;
    *self_close = 0;
    for (;;) {
        int had_space = x->p < x->end && is_space((unsigned char)*x->p);
        skip_space(x);
        if (x->p >= x->end)
            return fail(x, TR_GPX_ERR_XML, "unexpected end of input inside a tag"), -1;
        if (decl ? starts(x, "?>") : *x->p == '>') {
            skip(x, decl ? 2 : 1);
            return 0;
        }
        if (!decl && starts(x, "/>")) {
            skip(x, 2);
            *self_close = 1;
            return 0;
        }
        struct tr_xml_attr a;
        if (!had_space || !read_name(x, &a.name))
            return fail(x, TR_GPX_ERR_XML, "bad attribute syntax in a tag"), -1;
        skip_space(x);
        if (x->p >= x->end || *x->p != '=')
            return fail(x, TR_GPX_ERR_XML, "attribute '%.*s' has no '='", (int)a.name.len,
                        a.name.s),
                   -1;
        skip(x, 1);
        skip_space(x);
        if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
            return fail(x, TR_GPX_ERR_XML, "attribute value not quoted"), -1;
        char q = *x->p;
        skip(x, 1);
        a.value.s = x->p;
        while (x->p < x->end && *x->p != q) {
            if (*x->p == '<')
                return fail(x, TR_GPX_ERR_XML, "'<' in an attribute value"), -1;
            if (*x->p == '&') {
                size_t n = check_ref(x->p, x->end);
                if (n == 0)
                    return fail(x, TR_GPX_ERR_XML, "bad entity reference in an attribute"), -1;
                skip(x, n);
                continue;
            }
            skip(x, 1);
        }
        if (x->p >= x->end)
            return fail(x, TR_GPX_ERR_XML, "unterminated attribute value"), -1;
        a.value.len = (size_t)(x->p - a.value.s);
        skip(x, 1);
        for (size_t i = 0; i < x->n_attrs; i++)
            if (x->attrs[i].name.len == a.name.len &&
                memcmp(x->attrs[i].name.s, a.name.s, a.name.len) == 0)
                return fail(x, TR_GPX_ERR_XML, "duplicate attribute '%.*s'", (int)a.name.len,
                            a.name.s),
                       -1;
        if (x->n_attrs == TR_XML_MAX_ATTRS)
            return fail(x, TR_GPX_ERR_XML, "more than %d attributes", TR_XML_MAX_ATTRS), -1;
        x->attrs[x->n_attrs++] = a;
    }
}

/* The prolog: optional BOM and XML declaration. */
static enum tr_xml_event prolog(struct tr_xml *x)
{
    int bad = check_utf8((const unsigned char *)x->p, left(x));
    if (bad) {
        x->line = bad;
        return fail(x, TR_GPX_ERR_XML, "invalid UTF-8, NUL or control character");
    }
    if (starts(x, "\xEF\xBB\xBF"))
        skip(x, 3);
    if (starts(x, "<?xml") && left(x) > 5 && is_space((unsigned char)x->p[5])) {
        skip(x, 5);
        int sc;
        if (read_attrs(x, 1, &sc) != 0)
            return TR_XML_ERROR;
        const struct tr_xml_slice *v = tr_xml_attr(x, "version");
        if (!v || !tr_xml_eq(x->attrs[0].name, "version") ||
            !(tr_xml_eq(*v, "1.0") || tr_xml_eq(*v, "1.1")))
            return fail(x, TR_GPX_ERR_XML, "XML declaration without version 1.0");
        const struct tr_xml_slice *enc = tr_xml_attr(x, "encoding");
        if (enc && !ascii_ieq(*enc, "utf-8") && !ascii_ieq(*enc, "us-ascii"))
            return fail(x, TR_GPX_ERR_UNSUPPORTED, "encoding '%.*s' (only UTF-8)",
                        (int)(enc->len > 40 ? 40 : enc->len), enc->s);
    }
    x->started = 1;
    return TR_XML_EOF; /* "go on" */
}

static enum tr_xml_event comment_or_pi(struct tr_xml *x)
{
    if (starts(x, "<!--")) {
        skip(x, 4);
        long at = find(x, "--");
        if (at < 0)
            return fail(x, TR_GPX_ERR_XML, "unterminated comment");
        skip(x, (size_t)at);
        if (!starts(x, "-->"))
            return fail(x, TR_GPX_ERR_XML, "'--' inside a comment");
        skip(x, 3);
        return TR_XML_EOF;
    }
    /* "<?" target ... "?>" */
    skip(x, 2);
    struct tr_xml_slice target;
    if (!read_name(x, &target))
        return fail(x, TR_GPX_ERR_XML, "processing instruction without a target");
    if (ascii_ieq(target, "xml"))
        return fail(x, TR_GPX_ERR_XML, "XML declaration not at the start");
    long at = find(x, "?>");
    if (at < 0)
        return fail(x, TR_GPX_ERR_XML, "unterminated processing instruction");
    skip(x, (size_t)at + 2);
    return TR_XML_EOF;
}

static enum tr_xml_event end_tag(struct tr_xml *x)
{
    skip(x, 2);
    x->event_line = x->line;
    if (!read_name(x, &x->name))
        return fail(x, TR_GPX_ERR_XML, "bad end tag");
    skip_space(x);
    if (x->p >= x->end || *x->p != '>')
        return fail(x, TR_GPX_ERR_XML, "bad end tag '%.*s'", (int)x->name.len, x->name.s);
    skip(x, 1);
    if (x->depth == 0)
        return fail(x, TR_GPX_ERR_XML, "end tag '%.*s' without a start", (int)x->name.len,
                    x->name.s);
    struct tr_xml_slice o = x->open[x->depth - 1];
    if (o.len != x->name.len || memcmp(o.s, x->name.s, o.len) != 0)
        return fail(x, TR_GPX_ERR_XML, "end tag '%.*s' does not match '%.*s'",
                    (int)(x->name.len > 32 ? 32 : x->name.len), x->name.s,
                    (int)(o.len > 32 ? 32 : o.len), o.s);
    if (--x->depth == 0)
        x->root_done = 1;
    return TR_XML_END;
}

static enum tr_xml_event start_tag(struct tr_xml *x)
{
    skip(x, 1);
    x->event_line = x->line;
    if (x->root_done)
        return fail(x, TR_GPX_ERR_XML, "a second root element");
    if (!read_name(x, &x->name))
        return fail(x, TR_GPX_ERR_XML, "bad start tag");
    int self_close;
    if (read_attrs(x, 0, &self_close) != 0)
        return TR_XML_ERROR;
    if (x->depth == TR_GPX_MAX_DEPTH)
        return fail(x, TR_GPX_ERR_TOO_DEEP, "elements nested deeper than %d", TR_GPX_MAX_DEPTH);
    x->open[x->depth++] = x->name;
    x->pending_end = self_close;
    return TR_XML_START;
}

/* Character data up to the next '<'. */
static enum tr_xml_event text(struct tr_xml *x)
{
    x->event_line = x->line;
    x->text.s = x->p;
    int blank = 1;
    while (x->p < x->end && *x->p != '<') {
        unsigned char c = (unsigned char)*x->p;
        if (c == '&') {
            size_t n = check_ref(x->p, x->end);
            if (n == 0)
                return fail(x, TR_GPX_ERR_XML, "bad entity reference");
            skip(x, n);
            blank = 0;
            continue;
        }
        if (c == ']' && starts(x, "]]>"))
            return fail(x, TR_GPX_ERR_XML, "']]>' in text");
        if (!is_space(c))
            blank = 0;
        skip(x, 1);
    }
    x->text.len = (size_t)(x->p - x->text.s);
    if (x->depth == 0) {
        if (!blank)
            return fail(x, TR_GPX_ERR_XML, "text outside the root element");
        return TR_XML_EOF; /* ignorable */
    }
    return TR_XML_TEXT;
}

void tr_xml_init(struct tr_xml *x, const char *buf, size_t len)
{
    memset(x, 0, sizeof *x);
    x->p = buf;
    x->end = buf + len;
    x->line = 1;
}

enum tr_xml_event tr_xml_next(struct tr_xml *x)
{
    if (x->err_code)
        return TR_XML_ERROR;
    if (!x->started && prolog(x) == TR_XML_ERROR)
        return TR_XML_ERROR;
    if (x->pending_end) {
        x->pending_end = 0;
        if (--x->depth == 0)
            x->root_done = 1;
        return TR_XML_END;
    }
    for (;;) {
        enum tr_xml_event e;
        if (x->p >= x->end) {
            if (x->depth > 0)
                return fail(x, TR_GPX_ERR_XML, "input ends inside <%.*s>",
                            (int)(x->open[x->depth - 1].len > 32 ? 32 : x->open[x->depth - 1].len),
                            x->open[x->depth - 1].s);
            if (!x->root_done)
                return fail(x, TR_GPX_ERR_XML, "no root element");
            return TR_XML_EOF;
        }
        if (*x->p != '<') {
            e = text(x);
        } else if (starts(x, "<!--") || starts(x, "<?")) {
            e = comment_or_pi(x);
        } else if (starts(x, "<![CDATA[")) {
            if (x->depth == 0)
                return fail(x, TR_GPX_ERR_XML, "CDATA outside the root element");
            skip(x, 9);
            x->event_line = x->line;
            long at = find(x, "]]>");
            if (at < 0)
                return fail(x, TR_GPX_ERR_XML, "unterminated CDATA section");
            x->text.s = x->p;
            x->text.len = (size_t)at;
            skip(x, (size_t)at + 3);
            return TR_XML_TEXT;
        } else if (starts(x, "<!DOCTYPE")) {
            return fail(x, TR_GPX_ERR_UNSUPPORTED, "DOCTYPE is not accepted");
        } else if (starts(x, "<!")) {
            return fail(x, TR_GPX_ERR_XML, "bad markup '<!'");
        } else if (starts(x, "</")) {
            return end_tag(x);
        } else {
            return start_tag(x);
        }
        if (e != TR_XML_EOF)
            return e;
        /* a comment, PI or ignorable whitespace: go on */
    }
}

const struct tr_xml_slice *tr_xml_attr(const struct tr_xml *x, const char *name)
{
    for (size_t i = 0; i < x->n_attrs; i++)
        if (tr_xml_eq(x->attrs[i].name, name))
            return &x->attrs[i].value;
    return NULL;
}

int tr_xml_eq(struct tr_xml_slice s, const char *str)
{
    size_t n = strlen(str);
    return s.len == n && memcmp(s.s, str, n) == 0;
}
