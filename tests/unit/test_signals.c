/* Unit tests for signal name parsing and naming (src/base/signals.c): every kill -l name, SIG prefix,
 * case, numbers, the real-time range and rejected input. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/signals.h"
#include "tap.h"

static const struct {
    const char *name;
    int sig;
} names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

static void test_names(void)
{
    int bad = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char sig[32], lower[32];
        size_t j;

        snprintf(sig, sizeof(sig), "SIG%s", names[i].name);
        for (j = 0; names[i].name[j]; j++)
            lower[j] = (char)(names[i].name[j] | 0x20);
        lower[j] = '\0';
        if (urun_signal_parse(names[i].name) != names[i].sig || urun_signal_parse(sig) != names[i].sig ||
            urun_signal_parse(lower) != names[i].sig) {
            printf("# %s did not parse to %d\n", names[i].name, names[i].sig);
            bad++;
        }
    }
    TAP_OK(bad == 0, "every kill -l name parses, with and without SIG, in any case");
    TAP_OK(urun_signal_parse("sigterm") == SIGTERM, "sigterm");
    TAP_OK(urun_signal_parse("SigKill") == SIGKILL, "SigKill");
}

static void test_numbers(void)
{
    char buf[16];

    TAP_OK(urun_signal_parse("9") == 9, "9");
    TAP_OK(urun_signal_parse("15") == 15, "15");
    TAP_OK(urun_signal_parse("1") == 1, "1");
    snprintf(buf, sizeof(buf), "%d", SIGRTMAX);
    TAP_OK(urun_signal_parse(buf) == SIGRTMAX, "SIGRTMAX as a number");
    snprintf(buf, sizeof(buf), "%d", SIGRTMAX + 1);
    TAP_OK(urun_signal_parse(buf) == -1, "SIGRTMAX+1 as a number is rejected");
    TAP_OK(urun_signal_parse("0") == -1, "0 is rejected");
    TAP_OK(urun_signal_parse("-9") == -1, "negative is rejected");
    TAP_OK(urun_signal_parse("+9") == -1, "explicit plus is rejected");
    TAP_OK(urun_signal_parse("9x") == -1, "9x is rejected");
    TAP_OK(urun_signal_parse(" 9") == -1, "leading space is rejected");
    TAP_OK(urun_signal_parse("99999999999") == -1, "huge number is rejected");
}

static void test_realtime(void)
{
    TAP_OK(urun_signal_parse("RTMIN") == SIGRTMIN, "RTMIN");
    TAP_OK(urun_signal_parse("SIGRTMIN") == SIGRTMIN, "SIGRTMIN");
    TAP_OK(urun_signal_parse("RTMIN+3") == SIGRTMIN + 3, "RTMIN+3");
    TAP_OK(urun_signal_parse("rtmin+0") == SIGRTMIN, "rtmin+0");
    TAP_OK(urun_signal_parse("RTMAX") == SIGRTMAX, "RTMAX");
    TAP_OK(urun_signal_parse("SIGRTMAX-1") == SIGRTMAX - 1, "SIGRTMAX-1");
    TAP_OK(urun_signal_parse("RTMIN+100") == -1, "RTMIN+100 is out of range");
    TAP_OK(urun_signal_parse("RTMAX-100") == -1, "RTMAX-100 is out of range");
    TAP_OK(urun_signal_parse("RTMIN-1") == -1, "RTMIN-1 is rejected");
    TAP_OK(urun_signal_parse("RTMAX+1") == -1, "RTMAX+1 is rejected");
    TAP_OK(urun_signal_parse("RTMIN+") == -1, "RTMIN+ is rejected");
    TAP_OK(urun_signal_parse("RTMINX") == -1, "RTMINX is rejected");
}

static void test_garbage(void)
{
    TAP_OK(urun_signal_parse("") == -1, "empty");
    TAP_OK(urun_signal_parse(NULL) == -1, "NULL");
    TAP_OK(urun_signal_parse("SIG") == -1, "SIG alone");
    TAP_OK(urun_signal_parse("SIGFOO") == -1, "SIGFOO");
    TAP_OK(urun_signal_parse("TERMX") == -1, "TERMX");
    TAP_OK(urun_signal_parse("SIGSIGTERM") == -1, "SIGSIGTERM");
    TAP_OK(urun_signal_parse("SIG9") == -1, "SIG9");
}

static void test_name_of(void)
{
    int bad = 0;

    TAP_STREQ(urun_signal_name(SIGTERM), "TERM", "name of 15");
    TAP_STREQ(urun_signal_name(SIGABRT), "ABRT", "ABRT preferred over IOT");
    TAP_STREQ(urun_signal_name(SIGIO), "IO", "IO preferred over POLL");
    TAP_STREQ(urun_signal_name(SIGKILL), "KILL", "name of 9");
    TAP_STREQ(urun_signal_name(SIGRTMIN), "RTMIN", "name of SIGRTMIN");
    TAP_STREQ(urun_signal_name(SIGRTMIN + 1), "RTMIN+1", "name of SIGRTMIN+1");
    TAP_STREQ(urun_signal_name(SIGRTMAX), "RTMAX", "name of SIGRTMAX");
    TAP_STREQ(urun_signal_name(SIGRTMAX - 1), "RTMAX-1", "name of SIGRTMAX-1");
    TAP_OK(urun_signal_name(0) == NULL, "no name for 0");
    TAP_OK(urun_signal_name(-1) == NULL, "no name for -1");
    TAP_OK(urun_signal_name(SIGRTMAX + 1) == NULL, "no name above SIGRTMAX");
    for (int s = 1; s <= SIGRTMAX; s++) {
        const char *n = urun_signal_name(s);
        if ((s < 32 || s >= SIGRTMIN) && (!n || urun_signal_parse(n) != s)) {
            printf("# signal %d: name %s does not round-trip\n", s, n ? n : "(null)");
            bad++;
        }
    }
    TAP_OK(bad == 0, "every named signal round-trips through its name");
}

int main(void)
{
    test_names();
    test_numbers();
    test_realtime();
    test_garbage();
    test_name_of();
    return tap_done();
}
