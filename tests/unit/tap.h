/* Minimal TAP producer for urun's C unit tests (run by meson with protocol: 'tap'). */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                                   \
    do {                                                                    \
        bool _tap_ok = (cond);                                              \
        tap_n++;                                                            \
        if (_tap_ok) {                                                      \
            printf("ok %d - ", tap_n);                                      \
        } else {                                                            \
            tap_failed++;                                                   \
            printf("not ok %d - ", tap_n);                                  \
        }                                                                   \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        if (!_tap_ok)                                                       \
            printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    } while (0)

#define TAP_STREQ(a, b, ...)                                                                            \
    do {                                                                                                \
        const char *_a = (a), *_b = (b);                                                                \
        bool _eq = (_a && _b) ? strcmp(_a, _b) == 0 : _a == _b;                                         \
        TAP_OK(_eq, __VA_ARGS__);                                                                       \
        if (!_eq)                                                                                       \
            printf("#   got:      '%s'\n#   expected: '%s'\n", _a ? _a : "(null)", _b ? _b : "(null)"); \
    } while (0)

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
