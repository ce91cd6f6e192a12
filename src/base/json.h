/* A small JSON writer with RFC 8259 escaping, used for every JSON urun prints or stores
 * (state, list, spec, features, log lines).  It writes into a growable buffer; no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

struct json_writer {
    char *buf;
    size_t len, cap;
    bool pretty; /* two-space indentation and newlines */
    int depth;
    bool first[JSON_MAX_DEPTH]; /* no member written yet at this depth */
    bool after_key;             /* a key was written, the value comes next */
    bool broken;                /* misused (unbalanced, too deep, a misplaced key): every later call is a no-op */
};

void json_init(struct json_writer *w, bool pretty);
void json_free(struct json_writer *w); /* frees w->buf */

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s); /* NULL writes null */
void json_string_len(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* key + value shorthands */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);
/* key: ["a", "b", ...] from a NULL-terminated list */
void json_kv_string_array(struct json_writer *w, const char *key, const char *const *v);

/* NUL-terminated result, or NULL for a broken document.  Ownership passes to the caller. */
char *json_steal(struct json_writer *w, size_t *ret_len);
