/* Implementation of digest.h with EVP (SHA-NI where the CPU has it). */
#include "image/helper/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image/helper/helper.h"

int digest_init(struct digest *d, struct urun_error *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        return urun_error_set(err, EINVAL, "sha256: libcrypto cannot start a digest");
    }
    d->ctx = c;
    return 0;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->ctx, data, len);
}

void digest_final(struct digest *d, char out[72])
{
    unsigned char md[32];
    unsigned n = 0;
    EVP_DigestFinal_ex(d->ctx, md, &n);
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
    digest_clear(d);
}

void digest_clear(struct digest *d)
{
    EVP_MD_CTX_free(d->ctx);
    d->ctx = NULL;
}

int digest_fd_range(int fd, uint64_t off, uint64_t len, char out[72], struct urun_error *err)
{
    static char buf[1 << 20];
    struct digest d;
    int r = digest_init(&d, err);
    if (r < 0)
        return r;
    while (len > 0) {
        size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || helper_cancelled()) {
            digest_clear(&d);
            if (helper_cancelled())
                return urun_error_set(err, EINTR, "interrupted");
            return n < 0 ? urun_error_errno(err, "read") : urun_error_set(err, 0, "truncated");
        }
        digest_update(&d, buf, (size_t)n);
        helper_progress_add((uint64_t)n);
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    digest_final(&d, out);
    return 0;
}
