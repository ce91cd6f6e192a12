/* Container ID validation (id.h).  An ID becomes a directory name under the state root, so this is
 * the one gate against path tricks ("..", "/"), hidden names and terminal escapes.  Pure: never
 * touches the file system.  Messages quote the ID with unprintable bytes escaped and long IDs cut. */
#include "base/id.h"

#include <stdio.h>
#include <string.h>

#define ID_QUOTE_MAX 64 /* bytes of the ID shown in a message */

static bool id_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '+' || c == '-';
}

/* The ID as it may be shown on a terminal: printable ASCII kept, the rest as \xNN, cut to
 * ID_QUOTE_MAX input bytes followed by "...". */
static void id_for_message(const char *id, char *buf, size_t size)
{
    size_t o = 0, i;

    for (i = 0; id[i] && i < ID_QUOTE_MAX && o + 5 < size; i++) {
        unsigned char c = (unsigned char)id[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    if (id[i] && o + 4 <= size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

/* Short reason why id is not valid, or NULL when it is.  `what` receives the offending character. */
static const char *id_problem(const char *id, char what[8])
{
    size_t len = strnlen(id, URUN_ID_MAX + 1);

    if (len == 0)
        return "empty";
    if (len > URUN_ID_MAX)
        return "longer than 1024 bytes";
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return "not allowed";
    if (id[0] == '.')
        return "starts with '.'";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];

        if (id_char_ok(c))
            continue;
        if (c > 0x20 && c < 0x7f)
            snprintf(what, 8, "'%c'", c);
        else if (c == ' ')
            snprintf(what, 8, "a space");
        else
            snprintf(what, 8, "0x%02x", c);
        return "contains";
    }
    return NULL;
}

int urun_id_validate(const char *id, struct urun_error *err)
{
    char what[8] = "", shown[ID_QUOTE_MAX * 4 + 8];
    const char *why;

    if (!id)
        return urun_error_set(err, 0, "invalid container id: missing");
    why = id_problem(id, what);
    if (!why)
        return 0;
    if (id[0] == '\0')
        return urun_error_set(err, 0, "invalid container id: %s", why);
    id_for_message(id, shown, sizeof(shown));
    if (what[0])
        return urun_error_set(err, 0, "invalid container id: \"%s\": %s %s", shown, why, what);
    return urun_error_set(err, 0, "invalid container id: \"%s\": %s", shown, why);
}
