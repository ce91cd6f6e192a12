/* linux.seccomp: a config through spec_parse, then urun_seccomp_build (validation, and the filter
 * built with libseccomp in memory).  The filter is never loaded: that would confine the fuzzer. */
#include "container/seccomp_filter.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(spec_freep) struct urun_spec *s = fuzz_spec_parse(data, size);
    _cleanup_(urun_seccomp_freep) struct urun_seccomp *f = NULL;
    const char *const *warnings;
    struct urun_error err = {0};
    int r;

    if (!s || !s->linux_ || !s->linux_->seccomp)
        return 0;
    r = urun_seccomp_build(s->linux_->seccomp, &f, &err);
    fuzz_note("urun_seccomp_build", r, &err);
    FUZZ_CHECK_ERROR(r, err);
    if (r < 0) {
        FUZZ_CHECK(!f);
        return 0;
    }
    for (size_t i = 0, n = urun_seccomp_warnings(f, &warnings); i < n; i++)
        FUZZ_CHECK(warnings[i] && warnings[i][0]);
    /* seccomp_filter.h: SCMP_ACT_NOTIFY without listenerPath is refused. */
    FUZZ_CHECK(!urun_seccomp_needs_listener(f) || s->linux_->seccomp->listener_path);
    return 0;
}
