/* ynode_to_json (yamltree.h): writes a document tree back as compact JSON, for the parts of a config
 * urun keeps as text (linux.resources, seccomp listener metadata).  Pure: no syscalls. */
#include "spec/yamltree.h"

#include "base/alloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing JSON ---- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xreallocarray(b->p, b->cap, 1);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static bool is_json_number(const char *s)
{
    const char *digits = "0123456789";

    s += *s == '-';
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        s += strspn(s, digits);
    else
        return false;
    if (*s == '.') {
        if (strspn(s + 1, digits) == 0)
            return false;
        s += 1 + strspn(s + 1, digits);
    }
    if (*s == 'e' || *s == 'E') {
        s += (s[1] == '+' || s[1] == '-') ? 2 : 1;
        if (strspn(s, digits) == 0)
            return false;
        s += strspn(s, digits);
    }
    return *s == '\0';
}

static void sb_string(struct sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8] = {'\\', (char)c};

        if (c == '"' || c == '\\')
            sb_put(b, esc, 2);
        else if (c < 0x20)
            sb_put(b, esc, (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c));
        else
            sb_put(b, s, 1);
    }
    sb_put(b, "\"", 1);
}

/* A plain scalar that JSON would read as null, a boolean or a number is written bare, anything else
 * as a string.  Recursion is bounded by SPEC_MAX_DEPTH, enforced when the tree was built. */
static void sb_node(struct sbuf *b, const struct ynode *n)
{
    bool map = n->kind == YNODE_MAP;

    if (n->kind == YNODE_SCALAR) {
        if (ynode_is_null(n))
            sb_put(b, "null", 4);
        else if (n->plain && (!strcmp(n->scalar, "true") || !strcmp(n->scalar, "false") || is_json_number(n->scalar)))
            sb_put(b, n->scalar, n->len);
        else
            sb_string(b, n->scalar);
        return;
    }
    sb_put(b, map ? "{" : "[", 1);
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            sb_put(b, ",", 1);
        if (map) {
            sb_string(b, n->pairs[i].key);
            sb_put(b, ":", 1);
        }
        sb_node(b, map ? n->pairs[i].value : n->items[i]);
    }
    sb_put(b, map ? "}" : "]", 1);
}

char *ynode_to_json(const struct ynode *n)
{
    struct sbuf b = {0};

    sb_node(&b, n);
    return b.p;
}
