/* What every harness of tests/fuzz/ shares: the libFuzzer entry points, a check that aborts (so
 * libFuzzer keeps the input) when a parser breaks a promise its header makes, and the input read as a
 * config.  Harnesses never mount, fork, load a filter or write outside their own temporary directory. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken promise is a crash like any other: libFuzzer saves the input and prints the stack. */
#define FUZZ_CHECK(cond)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* An error must carry a message (callers print it, and add context in front of it). */
#define FUZZ_CHECK_ERROR(r, err) FUZZ_CHECK((r) >= 0 || (err).msg[0] != '\0')

/* URUN_FUZZ_VERBOSE=1: say what each step made of the input (to see why a seed is refused). */
static inline void fuzz_note(const char *step, int r, const struct urun_error *err)
{
    static int verbose = -1;
    char buf[URUN_ERROR_MSG_MAX + 128];

    if (verbose < 0)
        verbose = getenv("URUN_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "%s: %s\n", step, r >= 0 ? "ok" : urun_error_format(err, buf, sizeof(buf)));
}

/* The input as a config, as bundle_load reads config.json or config.yaml; NULL when it is none. */
static inline struct urun_spec *fuzz_spec_parse(const uint8_t *data, size_t size)
{
    struct urun_spec *s = NULL;
    struct urun_error err = {0};
    int r = spec_parse((const char *)data, size, &s, &err);

    fuzz_note("spec_parse", r, &err);
    FUZZ_CHECK_ERROR(r, err);
    FUZZ_CHECK(r >= 0 ? s != NULL : s == NULL);
    return r >= 0 ? s : NULL;
}
