/* Signal names <-> numbers (signals.h), with the names kill -l prints on Linux and the real-time
 * range taken from SIGRTMIN/SIGRTMAX at run time (glibc reserves the first few).  Pure: no
 * signal is ever sent or handled here. */
#include "base/signals.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

#include "base/cleanup.h"

struct sig_name {
    const char *name;
    int sig;
};

/* Canonical names come first, so a number-to-name lookup finds TERM-style names before aliases. */
static const struct sig_name sig_names[] = {
    {"HUP", SIGHUP},
    {"INT", SIGINT},
    {"QUIT", SIGQUIT},
    {"ILL", SIGILL},
    {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},
    {"BUS", SIGBUS},
    {"FPE", SIGFPE},
    {"KILL", SIGKILL},
    {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},
    {"ALRM", SIGALRM},
    {"TERM", SIGTERM},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
    {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},
    {"URG", SIGURG},
    {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},
    {"IO", SIGIO},
#ifdef SIGPWR
    {"PWR", SIGPWR},
#endif
    {"SYS", SIGSYS},
    /* aliases */
    {"IOT", SIGIOT},
#ifdef SIGPOLL
    {"POLL", SIGPOLL},
#endif
};

/* Names for the real-time range, as bash's kill -l prints them: the lower half counts up from
 * RTMIN, the upper half down from RTMAX.  Literals keep urun_signal_name() free of buffers. */
static const char *const rtmin_names[] = {
    "RTMIN",    "RTMIN+1",  "RTMIN+2",  "RTMIN+3",  "RTMIN+4",  "RTMIN+5",  "RTMIN+6",  "RTMIN+7",
    "RTMIN+8",  "RTMIN+9",  "RTMIN+10", "RTMIN+11", "RTMIN+12", "RTMIN+13", "RTMIN+14", "RTMIN+15",
    "RTMIN+16", "RTMIN+17", "RTMIN+18", "RTMIN+19", "RTMIN+20", "RTMIN+21", "RTMIN+22", "RTMIN+23",
    "RTMIN+24", "RTMIN+25", "RTMIN+26", "RTMIN+27", "RTMIN+28", "RTMIN+29", "RTMIN+30", "RTMIN+31",
};
static const char *const rtmax_names[] = {
    "RTMAX",    "RTMAX-1",  "RTMAX-2",  "RTMAX-3",  "RTMAX-4",  "RTMAX-5",  "RTMAX-6",  "RTMAX-7",
    "RTMAX-8",  "RTMAX-9",  "RTMAX-10", "RTMAX-11", "RTMAX-12", "RTMAX-13", "RTMAX-14", "RTMAX-15",
    "RTMAX-16", "RTMAX-17", "RTMAX-18", "RTMAX-19", "RTMAX-20", "RTMAX-21", "RTMAX-22", "RTMAX-23",
    "RTMAX-24", "RTMAX-25", "RTMAX-26", "RTMAX-27", "RTMAX-28", "RTMAX-29", "RTMAX-30", "RTMAX-31",
};

/* Plain decimal without sign or spaces, at most 4 digits (no signal number is larger). */
static int parse_small_uint(const char *s)
{
    int v = 0, n = 0;

    for (; *s; s++, n++) {
        if (*s < '0' || *s > '9' || n >= 4)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return n > 0 ? v : -1;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n", any case; -1 outside SIGRTMIN..SIGRTMAX. */
static int parse_rt(const char *s)
{
    int lo = SIGRTMIN, hi = SIGRTMAX, n = 0, sig;

    if (strncasecmp(s, "RTMIN", 5) == 0) {
        if (s[5] != '\0' && (s[5] != '+' || (n = parse_small_uint(s + 6)) < 0))
            return -1;
        sig = lo + n;
    } else if (strncasecmp(s, "RTMAX", 5) == 0) {
        if (s[5] != '\0' && (s[5] != '-' || (n = parse_small_uint(s + 6)) < 0))
            return -1;
        sig = hi - n;
    } else
        return -1;
    return sig >= lo && sig <= hi ? sig : -1;
}

int urun_signal_parse(const char *s)
{
    int sig;

    if (!s || !*s)
        return -1;
    if (*s >= '0' && *s <= '9') {
        sig = parse_small_uint(s);
        return sig >= 1 && sig <= SIGRTMAX ? sig : -1;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < ARRAY_SIZE(sig_names); i++)
        if (strcasecmp(s, sig_names[i].name) == 0)
            return sig_names[i].sig;
    return parse_rt(s);
}

const char *urun_signal_name(int sig)
{
    int lo = SIGRTMIN, hi = SIGRTMAX;

    for (size_t i = 0; i < ARRAY_SIZE(sig_names); i++)
        if (sig_names[i].sig == sig)
            return sig_names[i].name;
    if (sig < lo || sig > hi)
        return NULL;
    if (sig - lo <= (hi - lo) / 2) {
        if ((size_t)(sig - lo) < ARRAY_SIZE(rtmin_names))
            return rtmin_names[sig - lo];
    } else if ((size_t)(hi - sig) < ARRAY_SIZE(rtmax_names))
        return rtmax_names[hi - sig];
    return NULL;
}
