/* Builds the bounded document tree of yamltree.h from libyaml events, and reads typed scalars from it.
 * Owns the JSON-as-YAML fix-ups and every document-wide limit of spec.h.
 * Must never give meaning to fields, touch the filesystem or print. */
#include "spec/yamltree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "spec/spec.h"

#define YPATH_MAX 512

/* libyaml drops a flow-mapping key that spans more than 1024 characters before its ':'; an
 * explicit "? " key has no such limit.  Measured in bytes, which are never fewer than characters. */
#define LONG_KEY 512

/* ---- types ---- */

struct frame {
    struct ynode *node; /* a YNODE_SEQ or YNODE_MAP, already attached to its parent */
    char *key;          /* map only: a key whose value has not been seen yet */
    size_t cap;
};

struct builder {
    struct frame stack[SPEC_MAX_DEPTH];
    size_t depth;
    size_t nodes;
    bool seen_doc;
    unsigned line; /* line of the current event, for messages */
    struct ynode *root;
    struct urun_error *err;
};

/* ---- freeing ---- */

void ytree_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; n->kind == YNODE_SEQ && i < n->n; i++)
        ytree_free(n->items[i]);
    for (size_t i = 0; n->kind == YNODE_MAP && i < n->n; i++) {
        free(n->pairs[i].key);
        ytree_free(n->pairs[i].value);
    }
    free(n->scalar);
    free(n->items);
    free(n->pairs);
    free(n);
}

/* ---- paths for messages ---- */

static void path_append(char *buf, size_t *off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void path_append(char *buf, size_t *off, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (*off >= YPATH_MAX - 1)
        return;
    va_start(ap, fmt);
    k = vsnprintf(buf + *off, YPATH_MAX - *off, fmt, ap);
    va_end(ap);
    if (k > 0)
        *off = (size_t)k >= YPATH_MAX - *off ? YPATH_MAX - 1 : *off + (size_t)k;
}

/* The field path of the innermost open collection, or (child) of the entry being added to it. */
static const char *builder_path(const struct builder *b, bool child, char *buf)
{
    size_t off = 0, levels = child ? b->depth : (b->depth ? b->depth - 1 : 0);

    buf[0] = '\0';
    for (size_t i = 0; i < levels; i++) {
        const struct frame *f = &b->stack[i];
        bool top = i + 1 == b->depth;

        if (f->node->kind == YNODE_SEQ) {
            path_append(buf, &off, "[%zu]", top ? f->node->n : f->node->n - 1);
            continue;
        }
        const char *key = top ? f->key : f->node->pairs[f->node->n - 1].key;
        if (!key)
            break;
        path_append(buf, &off, "%s%s", off ? "." : "", key);
    }
    return buf;
}

static int builder_fail(const struct builder *b, bool child, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int builder_fail(const struct builder *b, bool child, const char *fmt, ...)
{
    char path[YPATH_MAX], msg[URUN_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    builder_path(b, child, path);
    if (path[0])
        return urun_error_set(b->err, 0, "%s: %s (line %u)", path, msg, b->line);
    return urun_error_set(b->err, 0, "line %u: %s", b->line, msg);
}

/* ---- building ---- */

static int count_node(struct builder *b)
{
    if (++b->nodes > SPEC_MAX_NODES)
        return builder_fail(b, true, "document has more than %d nodes", SPEC_MAX_NODES);
    return 0;
}

static int grow(struct builder *b, struct frame *f)
{
    size_t cap = f->cap ? f->cap * 2 : 4;
    void *p;

    if (f->node->n < f->cap)
        return 0;
    if (f->node->kind == YNODE_SEQ)
        p = xreallocarray(f->node->items, cap, sizeof(*f->node->items));
    else
        p = xreallocarray(f->node->pairs, cap, sizeof(*f->node->pairs));
    if (f->node->kind == YNODE_SEQ)
        f->node->items = p;
    else
        f->node->pairs = p;
    f->cap = cap;
    return 0;
}

/* Takes ownership of n whatever happens. */
static int attach(struct builder *b, struct ynode *n)
{
    struct frame *f;
    int r;

    if (!b->depth) {
        b->root = n;
        return 0;
    }
    f = &b->stack[b->depth - 1];
    if (f->node->n >= SPEC_MAX_ITEMS) {
        ytree_free(n);
        return builder_fail(b, false, "more than %d entries", SPEC_MAX_ITEMS);
    }
    r = grow(b, f);
    if (r < 0) {
        ytree_free(n);
        return r;
    }
    if (f->node->kind == YNODE_SEQ)
        f->node->items[f->node->n++] = n;
    else
        f->node->pairs[f->node->n++] = (struct ynode_pair){.key = TAKE_PTR(f->key), .value = n};
    return 0;
}

static bool wants_key(const struct builder *b)
{
    const struct frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;

    return f && f->node->kind == YNODE_MAP && !f->key;
}

static int check_props(const struct builder *b, const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor)
        return builder_fail(b, true, "anchors (&%s) are not supported", (const char *)anchor);
    if (tag)
        return builder_fail(b, true, "tags (%s) are not supported", (const char *)tag);
    return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    bool is_key = wants_key(b);
    struct ynode *n;
    int r;

    r = check_props(b, ev->data.scalar.anchor, ev->data.scalar.tag);
    if (r < 0)
        return r;
    if (len > SPEC_MAX_SCALAR)
        return builder_fail(b, true, "%s longer than %u bytes", is_key ? "key" : "string", SPEC_MAX_SCALAR);
    if (memchr(v, '\0', len))
        return builder_fail(b, true, "%s contains a NUL character", is_key ? "key" : "string");
    r = count_node(b);
    if (r < 0)
        return r;
    if (is_key) {
        b->stack[b->depth - 1].key = xstrndup(v, len);
        return 0;
    }
    n = xcalloc(1, sizeof(*n));
    *n = (struct ynode){
        .kind = YNODE_SCALAR, .line = b->line, .len = len, .plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE};
    n->scalar = xstrndup(v, len);
    return attach(b, n);
}

static int on_start(struct builder *b, enum ynode_kind kind, const yaml_char_t *anchor, const yaml_char_t *tag)
{
    struct ynode *n;
    int r;

    r = check_props(b, anchor, tag);
    if (r < 0)
        return r;
    if (wants_key(b))
        return builder_fail(b, true, "map keys must be scalars");
    if (b->depth == SPEC_MAX_DEPTH)
        return builder_fail(b, true, "nesting deeper than %d levels", SPEC_MAX_DEPTH);
    r = count_node(b);
    if (r < 0)
        return r;
    n = xcalloc(1, sizeof(*n));
    *n = (struct ynode){.kind = kind, .line = b->line};
    r = attach(b, n);
    if (r < 0)
        return r;
    b->stack[b->depth++] = (struct frame){.node = n};
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct ynode_pair *x = *(const struct ynode_pair *const *)a, *y = *(const struct ynode_pair *const *)b;
    int c = strcmp(x->key, y->key);

    /* Ties keep document order, so the later of two equal keys is the one reported. */
    return c ? c : (x < y ? -1 : x > y);
}

/* Sorting keeps a map of SPEC_MAX_ITEMS keys from costing a quadratic number of comparisons. */
static int check_duplicates(struct builder *b, const struct ynode *map)
{
    _cleanup_free_ const struct ynode_pair **v = NULL;
    char path[YPATH_MAX];

    if (map->n < 2)
        return 0;
    v = xcalloc(map->n, sizeof(*v));
    for (size_t i = 0; i < map->n; i++)
        v[i] = &map->pairs[i];
    qsort(v, map->n, sizeof(*v), cmp_pair);
    for (size_t i = 1; i < map->n; i++) {
        if (strcmp(v[i - 1]->key, v[i]->key) != 0)
            continue;
        builder_path(b, /* child= */ false, path);
        return urun_error_set(b->err, 0, "%s%s%s: duplicate key (line %u)", path, path[0] ? "." : "", v[i]->key,
                              v[i]->value->line);
    }
    return 0;
}

static int on_end(struct builder *b)
{
    struct frame *f = &b->stack[b->depth - 1];
    int r = 0;

    if (f->node->kind == YNODE_MAP)
        r = check_duplicates(b, f->node);
    free(f->key);
    f->key = NULL;
    b->depth--;
    return r;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
    b->line = (unsigned)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->seen_doc)
            return builder_fail(b, false, "more than one document");
        b->seen_doc = true;
        return 0;
    case YAML_ALIAS_EVENT:
        return builder_fail(b, true, "aliases (*%s) are not supported", (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, YNODE_SEQ, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, YNODE_MAP, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b);
    default:
        return 0;
    }
}

static int parser_error(const yaml_parser_t *p, struct urun_error *err)
{
    const char *problem = p->problem ? p->problem : "syntax error";

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        abort(); /* base/alloc.h: out of memory ends urun */
    case YAML_READER_ERROR:
        if (p->problem_value != -1)
            return urun_error_set(err, 0, "byte %zu: %s (#%X)", p->problem_offset, problem, (unsigned)p->problem_value);
        return urun_error_set(err, 0, "byte %zu: %s", p->problem_offset, problem);
    default:
        return urun_error_set(err, 0, "line %zu, column %zu: %s", p->problem_mark.line + 1, p->problem_mark.column + 1,
                              problem);
    }
}

static int run_parser(struct builder *b, const char *buf, size_t len)
{
    yaml_parser_t p;
    int r = 0;

    if (!yaml_parser_initialize(&p))
        abort(); /* it fails only to allocate: base/alloc.h */
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    for (bool done = false; !done && r >= 0;) {
        yaml_event_t ev;

        if (!yaml_parser_parse(&p, &ev)) {
            r = parser_error(&p, b->err);
            break;
        }
        r = on_event(b, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return r;
}

/* ---- JSON fix-ups ----
 * JSON is YAML flow style but for three things libyaml refuses: a tab where YAML wants indentation
 * (before the first '{' or on a line of its own), a key longer than 1024 characters, and a UTF-16
 * surrogate pair written as two \u escapes.  A document that lexes as JSON is copied with tabs outside
 * strings turned into spaces (JSON allows tabs only as whitespace there), "? " before long keys, and
 * surrogate pairs rewritten as one \U escape.  Anything that is not JSON-like is left untouched. */

static int hex4(const char *s, size_t avail)
{
    int v = 0;

    if (avail < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = s[i];

        if (c >= '0' && c <= '9')
            v = v * 16 + (c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v = v * 16 + ((c | 0x20) - 'a' + 10);
        else
            return -1;
    }
    return v;
}

/* Index just past the closing quote of the string opening at i, or 0 when unterminated. */
static size_t string_end(const char *in, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (in[i] == '\\')
            i++;
        else if (in[i] == '"')
            return i + 1;
    }
    return 0;
}

/* Copies the string in[i..end) to out, joining surrogate pairs; returns the new output length. */
static size_t copy_string(const char *in, size_t i, size_t end, char *out, size_t o)
{
    while (i < end) {
        int hi = in[i] == '\\' && in[i + 1] == 'u' ? hex4(in + i + 2, end - i - 2) : -1;
        int lo = hi >= 0xD800 && hi <= 0xDBFF && end - i >= 12 && in[i + 6] == '\\' && in[i + 7] == 'u'
                     ? hex4(in + i + 8, end - i - 8)
                     : -1;

        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            unsigned cp = 0x10000u + (((unsigned)hi - 0xD800u) << 10) + ((unsigned)lo - 0xDC00u);
            o += (size_t)sprintf(out + o, "\\U%08X", cp);
            i += 12;
        } else if (in[i] == '\\') {
            out[o++] = in[i++];
            out[o++] = in[i++];
        } else {
            out[o++] = in[i++];
        }
    }
    return o;
}

static bool json_plain_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '+' ||
           c == '.' || c == ' ' || c == '\r' || c == '\n' || c == ':';
}

static size_t skip_ws(const char *in, size_t len, size_t i)
{
    while (i < len && (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n'))
        i++;
    return i;
}

/* Writes the fixed copy to out (room for len + 2 * (len / LONG_KEY + 1) bytes); returns its length,
 * or SIZE_MAX when the input does not lex as JSON. */
static size_t json_fixup(const char *in, size_t len, char *out)
{
    char stack[SPEC_MAX_DEPTH + 1];
    size_t depth = 0, o, i = 0, first;
    bool expect_key = false;

    if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    memcpy(out, in, i);
    o = i;
    first = skip_ws(in, len, i);
    if (first >= len || (in[first] != '{' && in[first] != '['))
        return SIZE_MAX;
    while (i < len) {
        char c = in[i];

        if (c == '"') {
            size_t end = string_end(in, len, i), colon = end ? skip_ws(in, len, end) : 0;
            if (!end)
                return SIZE_MAX;
            if (expect_key && colon < len && in[colon] == ':' && colon - i >= LONG_KEY) {
                out[o++] = '?';
                out[o++] = ' ';
            }
            o = copy_string(in, i, end, out, o);
            i = end;
            expect_key = false;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == sizeof(stack))
                return SIZE_MAX; /* let the parser report the depth */
            stack[depth++] = c;
            expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            if (!depth)
                return SIZE_MAX;
            depth--;
            expect_key = false;
        } else if (c == ',') {
            expect_key = depth && stack[depth - 1] == '{';
        } else if (c != '\t' && !json_plain_char(c)) {
            return SIZE_MAX;
        }
        out[o++] = c == '\t' ? ' ' : c;
        i++;
    }
    return o;
}

/* ---- entry point ---- */

static int build(const char *buf, size_t len, struct ynode **ret, struct urun_error *err)
{
    struct builder b = {.err = err};
    int r;

    r = run_parser(&b, buf, len);
    for (size_t i = 0; i < b.depth; i++)
        free(b.stack[i].key);
    if (r >= 0 && !b.root)
        r = urun_error_set(err, 0, "empty document");
    if (r < 0) {
        ytree_free(b.root);
        return r;
    }
    *ret = b.root;
    return 0;
}

int ytree_parse(const char *buf, size_t len, struct ynode **ret, struct urun_error *err)
{
    _cleanup_free_ char *fixed = NULL;
    size_t n;

    if (len > SPEC_MAX_BYTES)
        return urun_error_set(err, 0, "document larger than %u bytes", SPEC_MAX_BYTES);
    if (len == 0)
        return urun_error_set(err, 0, "empty document");
    fixed = xmalloc(len + 2 * (len / LONG_KEY + 1));
    n = json_fixup(buf, len, fixed);
    if (n != SIZE_MAX)
        return build(fixed, n, ret, err);
    return build(buf, len, ret, err);
}

/* ---- reading ---- */

const struct ynode *ynode_get(const struct ynode *n, const char *key)
{
    if (!n || n->kind != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->pairs[i].key, key) == 0)
            return n->pairs[i].value;
    return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

    if (!n || n->kind != YNODE_SCALAR || !n->plain)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
        if (strcmp(n->scalar, nulls[i]) == 0)
            return true;
    return false;
}

static int expected(const struct ynode *n, const char *path, const char *what, struct urun_error *err)
{
    if (!n)
        return urun_error_set(err, 0, "%s: required", path);
    return urun_error_set(err, 0, "%s: expected %s", path, what);
}

/* YAML 1.2 core schema numbers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+, .inf/.nan, and
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?.  Every JSON number is one. */
static bool core_number(const char *s)
{
    const char *dec = "0123456789";
    size_t whole, frac = 0;

    if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
        return true;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        size_t k = strspn(s + 2, s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567");
        return k && !s[2 + k];
    }
    s += *s == '-' || *s == '+';
    if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF"))
        return true;
    whole = strspn(s, dec);
    s += whole;
    if (*s == '.') {
        frac = strspn(++s, dec);
        s += frac;
    }
    if (!whole && !frac)
        return false;
    if (*s == 'e' || *s == 'E') {
        s += 1 + (s[1] == '-' || s[1] == '+');
        if (!strspn(s, dec))
            return false;
        s += strspn(s, dec);
    }
    return *s == '\0';
}

/* A plain scalar that the core schema reads as null, a boolean or a number is not a string:
 * JSON's 1 and true are refused where a string is expected, as a JSON decoder would. */
static bool plain_non_string(const struct ynode *n)
{
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE"};

    if (!n->plain)
        return false;
    if (ynode_is_null(n) || core_number(n->scalar))
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
        if (!strcmp(n->scalar, bools[i]))
            return true;
    return false;
}

int ynode_string(const struct ynode *n, const char *path, const char **ret, struct urun_error *err)
{
    if (!n || n->kind != YNODE_SCALAR || plain_non_string(n))
        return expected(n, path, "a string", err);
    *ret = n->scalar;
    return 0;
}

int ynode_bool(const struct ynode *n, const char *path, bool *ret, struct urun_error *err)
{
    if (!n || n->kind != YNODE_SCALAR || !n->plain)
        return expected(n, path, "a boolean", err);
    if (strcmp(n->scalar, "true") == 0)
        *ret = true;
    else if (strcmp(n->scalar, "false") == 0)
        *ret = false;
    else
        return expected(n, path, "a boolean", err);
    return 0;
}

/* A plain decimal integer as sign and magnitude. */
static int read_integer(const struct ynode *n, const char *path, bool *neg, uint64_t *mag, struct urun_error *err)
{
    const char *s;
    uint64_t v = 0;

    if (!n || n->kind != YNODE_SCALAR || !n->plain)
        return expected(n, path, "an integer", err);
    s = n->scalar;
    *neg = *s == '-';
    if (*neg)
        s++;
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return expected(n, path, "an integer", err);
    if (s[0] == '0' && s[1])
        return urun_error_set(err, 0, "%s: expected an integer without leading zeros", path);
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return urun_error_set(err, 0, "%s: value out of range", path);
        v = v * 10 + d;
    }
    *mag = v;
    return 0;
}

int ynode_u64(const struct ynode *n, const char *path, uint64_t *ret, struct urun_error *err)
{
    uint64_t v = 0;
    bool neg = false;
    int r = read_integer(n, path, &neg, &v, err);

    if (r < 0)
        return r;
    if (neg && v)
        return urun_error_set(err, 0, "%s: value out of range", path);
    *ret = v;
    return 0;
}

int ynode_i64(const struct ynode *n, const char *path, int64_t *ret, struct urun_error *err)
{
    uint64_t v = 0;
    bool neg = false;
    int r = read_integer(n, path, &neg, &v, err);

    if (r < 0)
        return r;
    if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return urun_error_set(err, 0, "%s: value out of range", path);
    *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int ynode_u32(const struct ynode *n, const char *path, uint32_t *ret, struct urun_error *err)
{
    uint64_t v = 0;
    int r = ynode_u64(n, path, &v, err);

    if (r < 0)
        return r;
    if (v > UINT32_MAX)
        return urun_error_set(err, 0, "%s: value out of range", path);
    *ret = (uint32_t)v;
    return 0;
}
