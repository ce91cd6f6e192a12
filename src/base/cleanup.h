/* Scope-bound cleanup helpers (GCC/Clang cleanup attribute) and ownership hand-over macros.
 * Every destructor here accepts "nothing to do" (NULL, -1). */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
    free(*(void **)p);
}
/* Also usable to close early: it leaves -1 behind, so a later cleanup cannot close the number again
 * after the kernel has handed it out for something else. */
static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}
static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
static inline void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}
static inline void strv_freep(char ***v)
{
    strv_free(*v);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_ _cleanup_(strv_freep)

/* Hand ownership over: return the value and leave the variable empty. */
#define TAKE_PTR(p)               \
    ({                            \
        __typeof__(p) _tp_ = (p); \
        (p) = NULL;               \
        _tp_;                     \
    })
#define TAKE_FD(fd)      \
    ({                   \
        int _tf_ = (fd); \
        (fd) = -1;       \
        _tf_;            \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
