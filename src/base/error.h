/* The one error model of urun.
 * A fallible function takes a trailing `struct urun_error *err`, returns >= 0 on success and a
 * negative errno-style value on failure, and fills `err`.  Callers add context as the error
 * travels up (urun_error_wrap).  Nothing here prints: only main() does. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define URUN_ERROR_MSG_MAX 1024

struct urun_error {
    int errnum;                   /* errno that caused it, 0 when there is none */
    char msg[URUN_ERROR_MSG_MAX]; /* context chain, without the strerror() text */
};

/* Fill err.  Returns -errnum, or -EINVAL when errnum is 0, so callers can `return urun_error_set(...)`. */
int urun_error_set(struct urun_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix err->msg with "<context>: ".  Returns r unchanged, for `return urun_error_wrap(err, r, ...)`. */
int urun_error_wrap(struct urun_error *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "msg: strerror(errnum)" (or just msg) into buf. Returns buf. */
const char *urun_error_format(const struct urun_error *err, char *buf, size_t size);

/* Shorthand for the common case: err from errno with a message. */
#define urun_error_errno(err, ...) urun_error_set((err), errno, __VA_ARGS__)
