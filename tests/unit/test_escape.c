/* Unit tests for escape.c: which bytes are escaped, the \xHH style, valid UTF-8 kept, and cutting a
 * result to its buffer without splitting an escape or a character. */
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "tap.h"

static void expect(const char *in, size_t len, const char *want, const char *what)
{
    char *got = escape_text_dup(in, len);

    TAP_STREQ(got, want, "%s", what);
    free(got);
}

#define EXPECT(lit, want, what) expect((lit), sizeof(lit) - 1, (want), (what))

static void test_what_is_escaped(void)
{
    EXPECT("sleep 100 --flag=a\\b", "sleep 100 --flag=a\\b", "printable ASCII and backslashes stay");
    EXPECT("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07", "OSC title sequence (ESC ... BEL)");
    EXPECT("a\nb\tc\r", "a\\x0ab\\x09c\\x0d", "newline, tab, carriage return");
    EXPECT("a\0b", "a\\x00b", "NUL inside the text");
    EXPECT("\x7f", "\\x7f", "DEL");
    EXPECT("\xc2\x9b"
           "2J",
           "\\xc2\\x9b2J", "C1 CSI as UTF-8 (U+009B)");
    EXPECT("\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0", "U+0080 and U+009F escaped, U+00A0 kept");
    EXPECT("\x9b"
           "2J",
           "\\x9b2J", "a lone 0x9b (CSI to an 8-bit terminal)");
    EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
           "valid UTF-8 of 2, 3 and 4 bytes stays");
    EXPECT("\xc3", "\\xc3", "a truncated sequence");
    EXPECT("\xc0\xaf", "\\xc0\\xaf", "an overlong '/'");
    EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80", "a UTF-16 surrogate");
    EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", "above U+10FFFF");
    EXPECT("\xff\xfe", "\\xff\\xfe", "bytes that never start UTF-8");
    EXPECT("", "", "empty text");
}

static void test_cutting(void)
{
    char buf[8];
    size_t n;

    n = escape_text("abc", 3, buf, sizeof(buf));
    TAP_OK(n == 3 && !strcmp(buf, "abc"), "fits: returns its length");
    n = escape_text("abcdefghij", 10, buf, sizeof(buf));
    TAP_OK(n == 10 && !strcmp(buf, "abcdefg"), "cut at the buffer, NUL-terminated, full length returned");
    n = escape_text("abcd\x1b", 5, buf, sizeof(buf));
    TAP_OK(n == 8 && !strcmp(buf, "abcd"), "an escape that does not fit is left out whole");
    n = escape_text("abcde\xe2\x82\xac", 8, buf, sizeof(buf));
    TAP_OK(n == 8 && !strcmp(buf, "abcde"), "a character that does not fit is left out whole");
    n = escape_text("\x1b", 1, buf, 5);
    TAP_OK(n == 4 && !strcmp(buf, "\\x1b"), "exactly fits");
    n = escape_text("abc", 3, buf, 1);
    TAP_OK(n == 3 && buf[0] == '\0', "a buffer of one byte holds the NUL");
    TAP_OK(escape_text("abc", 3, NULL, 0) == 3, "size 0 only measures");
}

int main(void)
{
    test_what_is_escaped();
    test_cutting();
    return tap_done();
}
