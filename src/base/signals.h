/* Signal names and numbers, as runc and kill(1) accept them. Pure. */
#pragma once

/* "TERM", "SIGTERM", "term", "15", "RTMIN+3", "SIGRTMAX-1": returns the number, or -1. */
int urun_signal_parse(const char *s);
/* "TERM" for 15 (without the SIG prefix); NULL when unknown. */
const char *urun_signal_name(int sig);
