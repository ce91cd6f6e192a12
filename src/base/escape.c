/* Implementation of escape.h: the one escaping of container-controlled text.  Knows UTF-8 and the
 * terminal's control ranges, nothing else; must never print or allocate beyond escape_text_dup. */
#include "base/escape.h"

#include "base/alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : lo;
        hi = c == 0xed ? 0x9f : hi;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : lo;
        hi = c == 0xf4 ? 0x8f : hi;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* How many bytes at s go out as they are (0: escape s[0]), and in *ret_escaped how many escapes follow
 * when they do not (a C1 control is two bytes, both escaped). */
static size_t verbatim(const unsigned char *s, size_t n, size_t *ret_escaped)
{
    size_t len = utf8_len(s, n);

    *ret_escaped = 1;
    if (len == 0 || s[0] < 0x20 || s[0] == 0x7f)
        return 0;
    if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0) { /* U+0080-U+009F */
        *ret_escaped = 2;
        return 0;
    }
    return len;
}

size_t escape_text(const char *s, size_t len, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t need = 0, o = 0, i = 0;
    bool cut = false;

    while (i < len) {
        size_t esc, n = verbatim(p + i, len - i, &esc), out = n ? n : 4 * esc;

        cut = cut || o + out >= size;
        for (size_t k = 0; !cut && k < n; k++)
            buf[o++] = (char)p[i + k];
        for (size_t k = 0; !cut && !n && k < esc; k++) {
            unsigned char c = p[i + k];
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 0xf];
        }
        need += out;
        i += n ? n : esc;
    }
    if (size)
        buf[o] = '\0';
    return need;
}

char *escape_text_dup(const char *s, size_t len)
{
    if (len > (SIZE_MAX - 1) / 4)
        abort(); /* base/alloc.h */
    size_t size = 4 * len + 1;
    char *buf = xmalloc(size);

    escape_text(s, len, buf, size);
    return buf;
}
