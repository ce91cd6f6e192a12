/* The JSON writer declared in json.h: separators, indentation and RFC 8259 string escaping into a
 * growable buffer.  Output is always valid JSON (invalid UTF-8 becomes U+FFFD) or nothing at all:
 * a broken document (nesting deeper than JSON_MAX_DEPTH, unbalanced end, a misplaced key) makes
 * json_steal return NULL.  Out of memory ends urun (base/alloc.h).  Never does I/O. */
#include "base/json.h"

#include "base/alloc.h"
#include "base/escape.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json_writer *w, bool pretty)
{
    memset(w, 0, sizeof(*w));
    w->pretty = pretty;
}

void json_free(struct json_writer *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* Make room for n more bytes plus the terminating NUL. */
static bool reserve(struct json_writer *w, size_t n)
{
    size_t need, cap;
    char *p;

    if (w->broken)
        return false;
    if (n > SIZE_MAX / 2 - w->len - 1)
        abort(); /* no document urun writes comes near: base/alloc.h */
    need = w->len + n + 1;
    if (need <= w->cap)
        return true;
    cap = w->cap ? w->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = xreallocarray(w->buf, cap, 1);
    w->buf = p;
    w->cap = cap;
    return true;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put_str(struct json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_char(struct json_writer *w, char c)
{
    put(w, &c, 1);
}

static void newline_indent(struct json_writer *w, int depth)
{
    put_char(w, '\n');
    for (int i = 0; i < depth; i++)
        put(w, "  ", 2);
}

/* Separator before a key, or before a value that has no key (array item, top level). */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (!w->first[w->depth - 1])
        put_char(w, ',');
    w->first[w->depth - 1] = false;
    if (w->pretty)
        newline_indent(w, w->depth);
}

static void begin(struct json_writer *w, char open)
{
    before_item(w);
    if (w->depth >= JSON_MAX_DEPTH) {
        w->broken = true;
        return;
    }
    put_char(w, open);
    w->first[w->depth] = true;
    w->depth++;
}

static void end(struct json_writer *w, char close)
{
    if (w->depth == 0 || w->after_key) {
        w->broken = true; /* unbalanced, or a key without its value: the document is broken */
        return;
    }
    w->depth--;
    if (w->pretty && !w->first[w->depth])
        newline_indent(w, w->depth);
    put_char(w, close);
}

void json_begin_object(struct json_writer *w)
{
    begin(w, '{');
}
void json_end_object(struct json_writer *w)
{
    end(w, '}');
}
void json_begin_array(struct json_writer *w)
{
    begin(w, '[');
}
void json_end_array(struct json_writer *w)
{
    end(w, ']');
}

static void put_escape(struct json_writer *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

    switch (c) {
    case '"':
        put(w, "\\\"", 2);
        return;
    case '\\':
        put(w, "\\\\", 2);
        return;
    case '\n':
        put(w, "\\n", 2);
        return;
    case '\t':
        put(w, "\\t", 2);
        return;
    case '\r':
        put(w, "\\r", 2);
        return;
    case '\b':
        put(w, "\\b", 2);
        return;
    case '\f':
        put(w, "\\f", 2);
        return;
    default:
        put(w, u, sizeof(u));
        return;
    }
}

/* The code point of a valid 2- or 3-byte UTF-8 sequence. */
static uint32_t code_point(const unsigned char *p, size_t len)
{
    if (len == 2)
        return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
}

/* Code points JSON allows raw in a string but urun's own reader (libyaml, YAML 1.1) would not give
 * back as written: C1 controls (U+0085 is a line break to it), the line and paragraph separators
 * U+2028 and U+2029 (line breaks too, folded inside a quoted scalar), and the non-characters U+FFFE
 * and U+FFFF.  Written as \uXXXX they read back the same.  (Found by fuzz_state: an annotation
 * with U+2029 made a state.json that state_read then refused.) */
static bool needs_u_escape(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfffe || cp == 0xffff;
}

/* Bytes of the sequence at p that can be copied verbatim: 0 when it must be escaped or replaced. */
static size_t verbatim_len(const unsigned char *p, size_t n)
{
    if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
        return 0;
    size_t len = utf8_len(p, n);
    if ((len == 2 || len == 3) && needs_u_escape(code_point(p, len)))
        return 0;
    return len;
}

static void put_quoted(struct json_writer *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;

    put_char(w, '"');
    while (p < e && !w->broken) {
        const unsigned char *run = p;
        size_t n;

        while (p < e && (n = verbatim_len(p, (size_t)(e - p))) > 0)
            p += n;
        put(w, (const char *)run, (size_t)(p - run));
        if (p == e)
            break;
        size_t k = utf8_len(p, (size_t)(e - p));
        if (k == 0) {
            put(w, "\xef\xbf\xbd", 3); /* U+FFFD for each invalid byte */
            p++;
        } else if (k == 1) {
            put_escape(w, *p);
            p++;
        } else {
            char u[7];
            snprintf(u, sizeof(u), "\\u%04x", (unsigned)code_point(p, k));
            put(w, u, 6);
            p += k;
        }
    }
    put_char(w, '"');
}

void json_key(struct json_writer *w, const char *key)
{
    if (w->after_key || w->depth == 0) {
        w->broken = true; /* a key must sit directly inside an object */
        return;
    }
    before_item(w);
    put_quoted(w, key, strlen(key));
    if (w->pretty)
        put(w, ": ", 2);
    else
        put_char(w, ':');
    w->after_key = true;
}

void json_string_len(struct json_writer *w, const char *s, size_t len)
{
    before_item(w);
    put_quoted(w, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
    if (!s) {
        json_null(w);
        return;
    }
    json_string_len(w, s, strlen(s));
}

static void put_raw_value(struct json_writer *w, const char *text)
{
    before_item(w);
    put_str(w, text);
}

void json_int(struct json_writer *w, int64_t v)
{
    char b[32];

    snprintf(b, sizeof(b), "%" PRId64, v);
    put_raw_value(w, b);
}

void json_uint(struct json_writer *w, uint64_t v)
{
    char b[32];

    snprintf(b, sizeof(b), "%" PRIu64, v);
    put_raw_value(w, b);
}

void json_bool(struct json_writer *w, bool v)
{
    put_raw_value(w, v ? "true" : "false");
}
void json_null(struct json_writer *w)
{
    put_raw_value(w, "null");
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
    json_key(w, key);
    json_uint(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
    json_key(w, key);
    json_bool(w, v);
}

char *json_steal(struct json_writer *w, size_t *ret_len)
{
    char *s;

    if (!w->broken && !w->buf)
        reserve(w, 0); /* nothing written: still hand back "" */
    if (w->broken) {
        json_free(w);
        return NULL;
    }
    w->buf[w->len] = '\0';
    if (ret_len)
        *ret_len = w->len;
    s = w->buf;
    w->buf = NULL;
    w->len = w->cap = 0;
    return s;
}

void json_kv_string_array(struct json_writer *w, const char *key, const char *const *v)
{
    json_key(w, key);
    json_begin_array(w);
    for (; v && *v; v++)
        json_string(w, *v);
    json_end_array(w);
}
