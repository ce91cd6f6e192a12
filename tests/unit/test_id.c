/* Unit tests for container ID validation (src/base/id.c): accepted alphabet, length limits, the
 * reasons given for every kind of rejection and how the ID is shown in the message. */
#include <stdbool.h>
#include <stdlib.h>

#include "base/id.h"
#include "tap.h"

static void valid(const char *id, const char *what)
{
    struct urun_error err = {0};

    TAP_OK(urun_id_validate(id, &err) == 0, "valid: %s", what);
}

static void invalid(const char *id, const char *want_msg, const char *what)
{
    struct urun_error err = {0};
    int r = urun_id_validate(id, &err);

    TAP_OK(r < 0, "invalid: %s", what);
    if (want_msg)
        TAP_STREQ(err.msg, want_msg, "message for %s", what);
    else
        TAP_OK(strncmp(err.msg, "invalid container id: ", 22) == 0, "message prefix for %s (%s)", what, err.msg);
}

static void test_valid(void)
{
    char *max = malloc(URUN_ID_MAX + 1);

    valid("a", "single letter");
    valid("0", "single digit");
    valid("node01.alice.1234.0.0", "Slurm-style job step id");
    valid("A-Z_a-z.0-9+x", "every punctuation allowed");
    valid("-", "a lone dash");
    valid("a..b", "dots inside");
    valid("a.", "trailing dot");
    memset(max, 'x', URUN_ID_MAX);
    max[URUN_ID_MAX] = '\0';
    valid(max, "exactly 1024 bytes");
    free(max);
}

static void test_invalid(void)
{
    char *long_id = malloc(URUN_ID_MAX + 2);
    char want[256];

    invalid("", "invalid container id: empty", "empty");
    invalid(".", "invalid container id: \".\": not allowed", "'.'");
    invalid("..", "invalid container id: \"..\": not allowed", "'..'");
    invalid(".hidden", "invalid container id: \".hidden\": starts with '.'", "leading dot");
    invalid("a/b", "invalid container id: \"a/b\": contains '/'", "slash");
    invalid("/", "invalid container id: \"/\": contains '/'", "lone slash");
    invalid("../etc", "invalid container id: \"../etc\": starts with '.'", "path traversal");
    invalid("a b", "invalid container id: \"a b\": contains a space", "space");
    invalid("a\tb", "invalid container id: \"a\\x09b\": contains 0x09", "tab");
    invalid("a\x1b[31m", "invalid container id: \"a\\x1b[31m\": contains 0x1b", "terminal escape");
    invalid("caf\xc3\xa9", "invalid container id: \"caf\\xc3\\xa9\": contains 0xc3", "unicode");
    invalid("a\"b", "invalid container id: \"a\\x22b\": contains '\"'", "double quote");
    invalid("a:b", "invalid container id: \"a:b\": contains ':'", "colon");
    invalid("a*", "invalid container id: \"a*\": contains '*'", "glob");
    invalid(NULL, "invalid container id: missing", "NULL");

    memset(long_id, 'y', URUN_ID_MAX + 1);
    long_id[URUN_ID_MAX + 1] = '\0';
    snprintf(want, sizeof(want), "invalid container id: \"%.64s...\": longer than 1024 bytes", long_id);
    invalid(long_id, want, "1025 bytes, shown cut to 64");
    free(long_id);

    {
        struct urun_error err = {0};
        TAP_OK(urun_id_validate("a/b", &err) < 0 && err.errnum == 0, "no errno for a rejected id");
        TAP_OK(urun_id_validate("a/b", NULL) < 0, "NULL err is accepted");
    }
}

int main(void)
{
    test_valid();
    test_invalid();
    return tap_done();
}
