/* Mounts, as far as they are pure: a config through spec_parse (destinations, sources, options,
 * per-mount ID maps), then every mount's options through mounts_parse_options, which turns them into
 * mount(2) flags and filesystem data.  Mounting itself (mounts_setup) is never called. */
#include <string.h>

#include "container/mounts.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(spec_freep) struct urun_spec *s = fuzz_spec_parse(data, size);
    struct urun_error err = {0};

    if (!s)
        return 0;
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct spec_mount *m = &s->mounts[i];
        struct mount_opts o;
        int r;

        FUZZ_CHECK(m->destination && m->destination[0] == '/');
        memset(&o, 0xa5, sizeof(o)); /* untouched on failure: make a missed write visible */
        r = mounts_parse_options(m->options, &o, &err);
        fuzz_note("mounts_parse_options", r, &err);
        FUZZ_CHECK_ERROR(r, err);
        if (r < 0)
            continue;
        FUZZ_CHECK(memchr(o.data, '\0', sizeof(o.data)));
    }
    return 0;
}
