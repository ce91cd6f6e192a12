/* Unpacking one layer (a tar, gzip- or zstd-compressed or not) into an empty directory of the store,
 * in overlayfs' format, while checking the digest of its uncompressed tar.  Runs inside the user's
 * namespace, so the tar's owners land on the user's subordinate IDs.
 *
 * The tar is hostile: every name is checked to stay inside the directory ("..", absolute names and
 * paths through symlinks are refused, by libarchive's ARCHIVE_EXTRACT_SECURE_* flags and by our own
 * checks before it sees them), and what we create ourselves (whiteouts, opaque markers, hard links,
 * file capabilities) is resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). */
#pragma once

#include <stdint.h>

#include "base/error.h"
#include "image/helper/source.h"

#define UNPACK_MAX_BYTES (256ull << 30) /* uncompressed bytes of one layer */
#define UNPACK_MAX_ENTRIES 4000000      /* members of one layer */

struct unpack_result {
    uint64_t bytes;   /* of the uncompressed tar */
    unsigned devices; /* device nodes skipped: a user namespace cannot make them */
};

/* Unpack blob into destfd (an empty directory).  diff_id: the expected "sha256:..." of the
 * uncompressed tar; a mismatch is an error (and the caller discards destfd's contents). */
int layer_unpack(const struct blob *b, const char *diff_id, int destfd, struct unpack_result *ret,
                 struct urun_error *err);
