/* Unit tests for the JSON writer (src/base/json.c): escaping, UTF-8 handling, separators, pretty vs compact
 * layout, integer limits and the depth/balance failure flag. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"
#include "tap.h"

/* Write one string value with a compact writer and return the document. */
static char *quote(const char *s, size_t len)
{
    struct json_writer w;

    json_init(&w, false);
    json_string_len(&w, s, len);
    return json_steal(&w, NULL);
}

static void check_quote(const char *in, size_t len, const char *want, const char *what)
{
    char *got = quote(in, len);

    TAP_STREQ(got, want, "%s", what);
    free(got);
}

static void test_control_chars(void)
{
    static const char *const short_forms[0x20] = {
        ['\b'] = "\"\\b\"", ['\t'] = "\"\\t\"", ['\n'] = "\"\\n\"", ['\f'] = "\"\\f\"", ['\r'] = "\"\\r\"",
    };
    int bad = 0;

    for (int c = 0; c < 0x20; c++) {
        char in = (char)c, want[16];
        char *got;

        if (short_forms[c])
            snprintf(want, sizeof(want), "%s", short_forms[c]);
        else
            snprintf(want, sizeof(want), "\"\\u%04x\"", c);
        got = quote(&in, 1);
        if (!got || strcmp(got, want) != 0) {
            printf("# control 0x%02x: got '%s', expected '%s'\n", c, got ? got : "(null)", want);
            bad++;
        }
        free(got);
    }
    TAP_OK(bad == 0, "every control character below 0x20 is escaped");
    check_quote("\x7f", 1, "\"\\u007f\"", "DEL is escaped as \\u007f");
    check_quote("a\0b", 3, "\"a\\u0000b\"", "embedded NUL is escaped");
    check_quote(" ~", 2, "\" ~\"", "printable ASCII edges pass through");
}

static void test_quotes_backslash(void)
{
    check_quote("say \"hi\"", 8, "\"say \\\"hi\\\"\"", "double quotes escaped");
    check_quote("a\\b", 3, "\"a\\\\b\"", "backslash escaped");
    check_quote("/", 1, "\"/\"", "solidus not escaped");
    check_quote("", 0, "\"\"", "empty string");
}

static void test_utf8(void)
{
    const char *ok = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf"; /* é € 😀 U+FFFD U+10FFFF */
    char want[64];

    snprintf(want, sizeof(want), "\"%s\"", ok);
    check_quote(ok, strlen(ok), want, "valid UTF-8 passes through");
    check_quote("a\xff"
                "b",
                3,
                "\"a\xef\xbf\xbd"
                "b\"",
                "0xff replaced by U+FFFD");
    check_quote("\x80", 1, "\"\xef\xbf\xbd\"", "stray continuation byte replaced");
    check_quote("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong '/' replaced byte by byte");
    check_quote("\xe0\x80\xaf", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "3-byte overlong replaced");
    check_quote("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "UTF-16 surrogate replaced");
    check_quote("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
                "code point above U+10FFFF replaced");
    check_quote("\xe2\x82", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "truncated sequence at end replaced");
    check_quote("\xe2\x82"
                "a",
                3,
                "\"\xef\xbf\xbd\xef\xbf\xbd"
                "a\"",
                "truncated sequence before ASCII replaced");
    check_quote("\xc3\xa9\xff\n", 4, "\"\xc3\xa9\xef\xbf\xbd\\n\"", "mixed valid, invalid and control");
}

/* What urun's reader (libyaml) would not read back as written is \uXXXX: fuzz_state found a state.json
 * with a raw U+2029 in an annotation that state_read then refused. */
static void test_yaml_unsafe(void)
{
    check_quote("\xe2\x80\xa8", 3, "\"\\u2028\"", "U+2028 (a line break to YAML) is escaped");
    check_quote("a\xe2\x80\xa9"
                "b",
                5, "\"a\\u2029b\"", "U+2029 is escaped");
    check_quote("\xc2\x85", 2, "\"\\u0085\"", "U+0085 (NEL) is escaped");
    check_quote("\xc2\x80\xc2\x9f", 4, "\"\\u0080\\u009f\"", "C1 controls are escaped");
    check_quote("\xef\xbf\xbe\xef\xbf\xbf", 6, "\"\\ufffe\\uffff\"",
                "the non-characters U+FFFE and U+FFFF are escaped");
    check_quote("\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa", 8, "\"\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa\"",
                "their neighbours (U+00A0, U+2027, U+202A) pass through");
}

static char *build_nested(bool pretty)
{
    struct json_writer w;

    json_init(&w, pretty);
    json_begin_object(&w);
    json_kv_string(&w, "a", "x");
    json_kv_int(&w, "b", -1);
    json_key(&w, "c");
    json_begin_array(&w);
    json_int(&w, 1);
    json_begin_object(&w);
    json_end_object(&w);
    json_begin_array(&w);
    json_end_array(&w);
    json_null(&w);
    json_end_array(&w);
    json_key(&w, "d");
    json_begin_object(&w);
    json_kv_bool(&w, "t", true);
    json_kv_bool(&w, "f", false);
    json_kv_string(&w, "n", NULL);
    json_end_object(&w);
    json_end_object(&w);
    return json_steal(&w, NULL);
}

static void test_layout(void)
{
    char *compact = build_nested(false), *pretty = build_nested(true);
    struct json_writer w;
    size_t len = 0;
    char *s;

    TAP_STREQ(compact, "{\"a\":\"x\",\"b\":-1,\"c\":[1,{},[],null],\"d\":{\"t\":true,\"f\":false,\"n\":null}}",
              "compact nesting");
    TAP_STREQ(pretty,
              "{\n"
              "  \"a\": \"x\",\n"
              "  \"b\": -1,\n"
              "  \"c\": [\n"
              "    1,\n"
              "    {},\n"
              "    [],\n"
              "    null\n"
              "  ],\n"
              "  \"d\": {\n"
              "    \"t\": true,\n"
              "    \"f\": false,\n"
              "    \"n\": null\n"
              "  }\n"
              "}",
              "pretty nesting");
    free(compact);
    free(pretty);

    json_init(&w, true);
    json_begin_object(&w);
    json_kv_int(&w, "a", 1);
    json_end_object(&w);
    s = json_steal(&w, &len);
    TAP_STREQ(s, "{\n  \"a\": 1\n}", "pretty single member");
    TAP_OK(s && len == strlen(s), "json_steal reports the length");
    free(s);

    json_init(&w, true);
    json_begin_object(&w);
    json_end_object(&w);
    s = json_steal(&w, NULL);
    TAP_STREQ(s, "{}", "pretty empty object");
    free(s);

    json_init(&w, true);
    json_begin_array(&w);
    json_end_array(&w);
    s = json_steal(&w, NULL);
    TAP_STREQ(s, "[]", "pretty empty array");
    free(s);

    json_init(&w, false);
    json_begin_object(&w);
    json_kv_string(&w, "k\"ey\n", "v");
    json_end_object(&w);
    s = json_steal(&w, NULL);
    TAP_STREQ(s, "{\"k\\\"ey\\n\":\"v\"}", "keys are escaped too");
    free(s);

    json_init(&w, false);
    s = json_steal(&w, &len);
    TAP_OK(s && *s == '\0' && len == 0, "nothing written steals an empty string");
    free(s);
}

static void test_integers(void)
{
    struct json_writer w;
    char *s;

    json_init(&w, false);
    json_begin_array(&w);
    json_int(&w, INT64_MIN);
    json_int(&w, INT64_MAX);
    json_uint(&w, UINT64_MAX);
    json_int(&w, 0);
    json_uint(&w, 0);
    json_end_array(&w);
    s = json_steal(&w, NULL);
    TAP_STREQ(s, "[-9223372036854775808,9223372036854775807,18446744073709551615,0,0]", "int64 min/max, uint64 max");
    free(s);

    json_init(&w, false);
    json_begin_object(&w);
    json_kv_uint(&w, "u", UINT64_MAX);
    json_kv_int(&w, "i", INT64_MIN);
    json_end_object(&w);
    s = json_steal(&w, NULL);
    TAP_STREQ(s, "{\"u\":18446744073709551615,\"i\":-9223372036854775808}", "kv integer shorthands");
    free(s);
}

static void test_depth(void)
{
    struct json_writer w;
    char *s;
    size_t len = 0;

    json_init(&w, false);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_begin_array(&w);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_end_array(&w);
    s = json_steal(&w, &len);
    TAP_OK(s && len == 2 * JSON_MAX_DEPTH, "JSON_MAX_DEPTH levels of nesting are fine");
    free(s);

    json_init(&w, true);
    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        json_begin_object(&w), json_key(&w, "k");
    json_null(&w);
    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        json_end_object(&w);
    s = json_steal(&w, NULL);
    TAP_OK(s == NULL, "nesting beyond JSON_MAX_DEPTH makes json_steal return NULL");
    json_free(&w);

    json_init(&w, false);
    json_begin_array(&w);
    json_end_array(&w);
    json_end_array(&w);
    s = json_steal(&w, NULL);
    TAP_OK(s == NULL, "an unbalanced end fails");
    json_free(&w);

    json_init(&w, false);
    json_begin_object(&w);
    json_key(&w, "k");
    json_end_object(&w);
    s = json_steal(&w, NULL);
    TAP_OK(s == NULL, "a key without its value fails");
    json_free(&w);
}

static void test_string_array(void)
{
    static const char *const v[] = {"a", "b\"c", NULL};
    struct json_writer w;
    json_init(&w, false);
    json_begin_object(&w);
    json_kv_string_array(&w, "list", v);
    json_kv_string_array(&w, "none", NULL);
    json_end_object(&w);
    char *s = json_steal(&w, NULL);
    TAP_STREQ(s, "{\"list\":[\"a\",\"b\\\"c\"],\"none\":[]}", "json_kv_string_array");
    free(s);
    json_free(&w);
}

int main(void)
{
    test_string_array();
    test_control_chars();
    test_quotes_backslash();
    test_utf8();
    test_yaml_unsafe();
    test_layout();
    test_integers();
    test_depth();
    return tap_done();
}
