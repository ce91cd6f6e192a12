/* Helpers shared by the spec unit tests (test_spec.c, test_spec_errors.c): fixtures, a growing
 * string for large documents, and checks that a document is refused with an exact message. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "spec/yamltree.h"
#include "tap.h"

/* ---- helpers ---- */

static inline char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* A growing string for building large documents. */
struct str {
    char *p;
    size_t len, cap;
};

static inline void str_add(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void str_add(struct str *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (s->len + (size_t)n + 1 > s->cap) {
        s->cap = (s->len + (size_t)n + 1) * 2;
        s->p = realloc(s->p, s->cap);
        if (!s->p)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

static inline void str_repeat(struct str *s, const char *piece, size_t times)
{
    for (size_t i = 0; i < times; i++)
        str_add(s, "%s", piece);
}

/* Parses doc and checks it fails with exactly `msg`; frees everything. */
static inline void expect_spec_error(const char *doc, const char *msg)
{
    struct urun_spec *sentinel = (struct urun_spec *)&sentinel, *s = sentinel;
    struct urun_error err = {0};
    int r = spec_parse(doc, strlen(doc), &s, &err);

    TAP_OK(r < 0 && s == sentinel, "refused: %s", msg);
    TAP_STREQ(r < 0 ? err.msg : "(accepted)", msg, "  with exactly that message");
    if (r >= 0)
        spec_free(s);
}

/* Parses a tree and checks it fails with a message containing `part`. */
static inline void expect_tree_error(const char *doc, size_t len, const char *part, const char *what)
{
    struct ynode *root = NULL;
    struct urun_error err = {0};
    int r = ytree_parse(doc, len, &root, &err);

    TAP_OK(r < 0 && !root && strstr(err.msg, part), "%s: refused with \"%s\"", what, part);
    if (r < 0 && !strstr(err.msg, part))
        printf("#   got: '%s'\n", err.msg);
    ytree_free(root);
}

static inline bool strv_eq(char *const *v, const char *const *want)
{
    size_t i = 0;

    if (!v)
        return !want;
    for (; want[i]; i++)
        if (!v[i] || strcmp(v[i], want[i]) != 0)
            return false;
    return v[i] == NULL;
}

#define TREE_ERR(lit, part, what) expect_tree_error((lit), sizeof(lit) - 1, (part), (what))
#define PARSES(lit, what, ret) expect_parses((lit), sizeof(lit) - 1, (what), (ret))
#define STRV(...) ((const char *const[]){__VA_ARGS__, NULL})
