/* Memory, and urun's one out-of-memory policy.
 *
 * When an allocation fails, urun ends: every allocation in src/, idmap/, netns/core/ and image/ goes through
 * these functions, which abort() instead of returning NULL, and no caller checks for NULL or returns
 * -ENOMEM.  Why: urun's processes are short-lived and small (a few hundred KB), an allocation that
 * fails means the machine is out of memory or the process is limited below anything useful, and an
 * error path for each allocation is code that never runs and that tests cannot reach.  What that
 * costs: a create that aborts may leave its container directory behind (`urun delete ID` removes it).
 * Sizes that come from outside (files, the container, the command line) are bounded before they are
 * allocated, so that no input can make urun ask for an absurd amount.
 * (The urun-slirp helper links GLib, which aborts the same way.) */
#pragma once

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
/* realloc of n elements of size bytes, the multiplication checked. */
void *xreallocarray(void *p, size_t n, size_t size);
/* NULL for NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
