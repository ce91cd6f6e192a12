/* Implementation of the error model declared in error.h: formatting only, no I/O. */
#include "base/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int urun_error_set(struct urun_error *err, int errnum, const char *fmt, ...)
{
    va_list ap;

    if (errnum < 0)
        errnum = -errnum;
    if (err) {
        err->errnum = errnum;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return errnum ? -errnum : -EINVAL;
}

int urun_error_wrap(struct urun_error *err, int r, const char *fmt, ...)
{
    char prefix[URUN_ERROR_MSG_MAX], joined[URUN_ERROR_MSG_MAX];
    va_list ap;

    if (!err)
        return r;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof(err->msg));
    return r;
}

const char *urun_error_format(const struct urun_error *err, char *buf, size_t size)
{
    if (err->errnum)
        snprintf(buf, size, "%s: %s", err->msg, strerror(err->errnum));
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}
