/* Implementation of subid.h.  Format (subuid(5)): one "user:start:count" per line, where user is a
 * login name or a numeric UID.  Nothing here decides a mapping; idmap.c does. */
#include "idmap/subid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"

static void warn(struct subid_ranges *ret, const char *file, unsigned line, const char *what)
{
    if (ret->n_warnings < SUBID_MAX_WARNINGS)
        snprintf(ret->warnings[ret->n_warnings++], sizeof(ret->warnings[0]), "%s:%u: %s, skipped", file, line, what);
}

/* A decimal u32 with nothing else: no sign, no spaces, no empty string. */
static bool parse_u32(const char *s, size_t len, uint32_t *ret)
{
    uint64_t v = 0;
    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *ret = (uint32_t)v;
    return true;
}

static void parse_line(const char *line, size_t len, const char *file, unsigned lineno, const char *name, uint32_t id,
                       struct subid_ranges *ret)
{
    const char *f[3];
    size_t fl[3], nf = 0;
    const char *p = line, *end = line + len;
    uint32_t uid, start, count;

    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        end = line + --len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p == '#')
        return;
    for (const char *q = p;; q++) {
        if (q == end || *q == ':') {
            if (nf == 3) {
                nf = 4;
                break;
            }
            f[nf] = p;
            fl[nf++] = (size_t)(q - p);
            p = q + 1;
            if (q == end)
                break;
        }
    }
    if (nf != 3 || fl[0] == 0 || !parse_u32(f[1], fl[1], &start) || !parse_u32(f[2], fl[2], &count)) {
        warn(ret, file, lineno, "malformed line");
        return;
    }
    bool match = (name && strlen(name) == fl[0] && memcmp(f[0], name, fl[0]) == 0) ||
                 (parse_u32(f[0], fl[0], &uid) && uid == id);
    if (!match)
        return;
    if (count == 0) {
        warn(ret, file, lineno, "empty range");
        return;
    }
    if ((uint64_t)start + count - 1 > UINT32_MAX) {
        warn(ret, file, lineno, "range overflows 32-bit IDs");
        return;
    }
    if (ret->n == SUBID_MAX_RANGES) {
        warn(ret, file, lineno, "more ranges than a user namespace can map");
        return;
    }
    ret->r[ret->n++] = (struct subid_range){start, count};
}

void subid_parse(const char *text, const char *file, const char *name, uint32_t id, struct subid_ranges *ret)
{
    unsigned lineno = 0;

    memset(ret, 0, sizeof(*ret));
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        parse_line(p, len, file, ++lineno, name, id, ret);
        p = nl ? nl + 1 : NULL;
    }
}

int subid_read(const char *path, const char *name, uint32_t id, struct subid_ranges *ret, struct urun_error *err)
{
    _cleanup_free_ char *text = NULL;
    int r = read_file_at(AT_FDCWD, path, 4u << 20, &text, NULL, err);

    if (r == -ENOENT) {
        memset(ret, 0, sizeof(*ret));
        return 0;
    }
    if (r < 0)
        return r;
    subid_parse(text, path, name, id, ret);
    return 0;
}

uint32_t subid_free_start(const char *text, uint32_t start, uint32_t count)
{
    uint64_t end_max = 0;

    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *c1 = memchr(p, ':', len), *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
        uint32_t s0, n0;
        size_t l2 = c2 ? len - (size_t)(c2 + 1 - p) : 0;
        while (l2 && (c2[l2] == '\r' || c2[l2] == ' ' || c2[l2] == '\t'))
            l2--;
        if (c1 && c2 && parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &s0) && parse_u32(c2 + 1, l2, &n0) &&
            (uint64_t)s0 + n0 > end_max)
            end_max = (uint64_t)s0 + n0;
        p = nl ? nl + 1 : NULL;
    }
    uint64_t s = start;
    if (end_max > s)
        s = (end_max + count - 1) / count * count;
    return s + count - 1 <= UINT32_MAX ? (uint32_t)s : 0;
}
