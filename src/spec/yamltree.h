/* A bounded document tree built from libyaml events (JSON is read as YAML).
 * Pure: bytes in, tree out.  Used by the spec parser and by the state reader.
 * Anchors/aliases are refused (no billion-laughs), every limit of spec.h applies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum ynode_kind {
    YNODE_SCALAR,
    YNODE_SEQ,
    YNODE_MAP,
};

struct ynode;

struct ynode_pair {
    char *key; /* map keys must be scalars */
    struct ynode *value;
};

struct ynode {
    enum ynode_kind kind;
    unsigned line; /* 1-based, for messages */
    /* YNODE_SCALAR */
    char *scalar;
    size_t len;
    bool plain; /* unquoted: may be a number, bool or null */
    /* YNODE_SEQ */
    struct ynode **items;
    /* YNODE_MAP */
    struct ynode_pair *pairs;
    size_t n; /* items or pairs */
};

/* Parse one document.  Empty input is an error.  Duplicate map keys are an error. */
int ytree_parse(const char *buf, size_t len, struct ynode **ret, struct urun_error *err);
void ytree_free(struct ynode *n);
static inline void ytree_freep(struct ynode **n)
{
    ytree_free(*n);
}

/* Map lookup; NULL when n is not a map or the key is absent. */
const struct ynode *ynode_get(const struct ynode *n, const char *key);

/* A plain scalar "null", "~" or "" (or an empty value). */
bool ynode_is_null(const struct ynode *n);

/* Typed reads.  Each returns 0, or a negative value with err set to "<path>: expected ...".
 * `path` is the field path used in messages.
 * ynode_string takes any quoted scalar, and a plain one unless YAML's core schema reads it as null, a
 * boolean or a number (so JSON's 1 or true is not a string; YAML's 1.2.0 or /bin/sh is).
 * ynode_bool takes plain true/false only; the integer readers plain decimal digits only, without
 * leading zeros (is 0022 octal or decimal?).  An absent node (NULL) gives "<path>: required". */
int ynode_string(const struct ynode *n, const char *path, const char **ret, struct urun_error *err);
int ynode_bool(const struct ynode *n, const char *path, bool *ret, struct urun_error *err);
int ynode_u64(const struct ynode *n, const char *path, uint64_t *ret, struct urun_error *err);
int ynode_i64(const struct ynode *n, const char *path, int64_t *ret, struct urun_error *err);
int ynode_u32(const struct ynode *n, const char *path, uint32_t *ret, struct urun_error *err);

/* n as compact JSON in a new string: a plain scalar that JSON reads as null, a boolean or a number is
 * written bare, every other scalar as a string. */
char *ynode_to_json(const struct ynode *n);
