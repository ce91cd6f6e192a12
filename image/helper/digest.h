/* SHA-256 digests as the image spec writes them ("sha256:HEX"), through OpenSSL's libcrypto.
 * Only the urun-image helper links it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct digest {
    void *ctx; /* EVP_MD_CTX */
};

int digest_init(struct digest *d, struct urun_error *err);
void digest_update(struct digest *d, const void *data, size_t len);
/* "sha256:" + 64 hex digits + NUL into out; frees the context. */
void digest_final(struct digest *d, char out[72]);
void digest_clear(struct digest *d);

/* The digest of len bytes of fd from off (pread), into out.  is_cancelled is polled between reads. */
int digest_fd_range(int fd, uint64_t off, uint64_t len, char out[72], struct urun_error *err);
