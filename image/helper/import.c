/* Implementation of import.h.  Which manifest (OCI index or docker manifest.json) names which blobs
 * is worked out first into a plan; every blob is then checked against its digest before it is used:
 * documents and compressed layers before they are parsed, and each layer's uncompressed tar against
 * the config's diff ID while it is unpacked, before the layer can enter the store. */
#include "image/helper/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/common/imgconfig.h"
#include "image/common/store.h"
#include "image/helper/digest.h"
#include "image/helper/helper.h"
#include "image/helper/source.h"
#include "image/helper/unpack.h"
#include "spec/yamltree.h"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define ANN_REF "org.opencontainers.image.ref.name"

struct layer_src {
    char *member;  /* where the blob is in the source */
    char *digest;  /* its digest as the manifest gives it (OCI), else NULL */
    uint64_t size; /* as the manifest gives it (OCI), else 0 */
};

struct plan {
    char *config_member;
    char *config_digest; /* expected, or NULL when the source names none */
    struct layer_src layers[STORE_MAX_LAYERS];
    size_t n_layers;
    char *ref; /* the reference the source gives the image, or NULL */
};

static void plan_clear(struct plan *p)
{
    free(p->config_member);
    free(p->config_digest);
    for (size_t i = 0; i < p->n_layers; i++) {
        free(p->layers[i].member);
        free(p->layers[i].digest);
    }
    free(p->ref);
}

static const char *str_at(const struct ynode *n, const char *key)
{
    const struct ynode *v = ynode_get(n, key);
    const char *s;
    return v && ynode_string(v, key, &s, NULL) == 0 ? s : NULL;
}

static char *blob_member(const char *digest)
{
    return xasprintf("blobs/sha256/%s", digest + 7);
}

/* A document named by a descriptor: read (bounded), its size and digest checked, parsed. */
static int read_verified(const struct source *s, const struct ynode *desc, const char *what, struct ynode **ret,
                         struct urun_error *err)
{
    const char *digest = str_at(desc, "digest");
    uint64_t size = 0;
    _cleanup_free_ char *member = NULL, *buf = NULL;
    size_t len;
    char got[72];

    if (!image_digest_valid(digest))
        return urun_error_set(err, 0, "%s: digest: not a sha256 digest", what);
    member = blob_member(digest);
    int r = source_read(s, member, STORE_DOC_MAX, &buf, &len, err);
    if (r < 0)
        return urun_error_wrap(err, r, "%s", what);
    if (ynode_u64(ynode_get(desc, "size"), "size", &size, NULL) == 0 && size != len)
        return urun_error_set(err, 0, "%s %s: %zu bytes, the descriptor says %llu", what, digest, len,
                              (unsigned long long)size);
    struct digest d;
    if ((r = digest_init(&d, err)) < 0)
        return r;
    digest_update(&d, buf, len);
    digest_final(&d, got);
    if (strcmp(got, digest) != 0)
        return urun_error_set(err, 0, "%s %s: digest mismatch (the blob is %s)", what, digest, got);
    r = ytree_parse(buf, len, ret, err);
    return r < 0 ? urun_error_wrap(err, r, "%s %s", what, digest) : 0;
}

static bool ref_matches(const char *ref_name, const char *tag)
{
    size_t a = strlen(ref_name), b = strlen(tag);
    return strcmp(ref_name, tag) == 0 || (a > b && ref_name[a - b - 1] == ':' && strcmp(ref_name + a - b, tag) == 0);
}

/* The manifest descriptor of index.json: the one the tag names, else the only one. */
static int pick_manifest(const struct ynode *index, const char *tag, const struct ynode **ret, struct urun_error *err)
{
    const struct ynode *m = ynode_get(index, "manifests");
    if (!m || m->kind != YNODE_SEQ || m->n == 0)
        return urun_error_set(err, 0, "index.json: manifests: expected a non-empty array");
    for (size_t i = 0; tag && i < m->n; i++) {
        const char *rn = str_at(ynode_get(m->items[i], "annotations"), ANN_REF);
        if (rn && ref_matches(rn, tag)) {
            *ret = m->items[i];
            return 0;
        }
    }
    if (tag)
        return urun_error_set(err, 0, "index.json: no manifest is tagged \"%s\"", tag);
    if (m->n > 1)
        return urun_error_set(err, 0, "index.json: %zu manifests: name one with :TAG", m->n);
    *ret = m->items[0];
    return 0;
}

/* In an image index (a multi-platform image), the manifest for linux and this machine. */
static const struct ynode *pick_platform(const struct ynode *index)
{
#if defined(__x86_64__)
    static const char arch[] = "amd64";
#elif defined(__aarch64__)
    static const char arch[] = "arm64";
#else
    static const char arch[] = "";
#endif
    const struct ynode *m = ynode_get(index, "manifests");
    for (size_t i = 0; m && m->kind == YNODE_SEQ && i < m->n; i++) {
        const struct ynode *p = ynode_get(m->items[i], "platform");
        const char *os = str_at(p, "os"), *ar = str_at(p, "architecture");
        if (os && ar && strcmp(os, "linux") == 0 && strcmp(ar, arch) == 0)
            return m->items[i];
    }
    return NULL;
}

static int plan_layers(const struct ynode *manifest, struct plan *p, struct urun_error *err)
{
    const struct ynode *cfg = ynode_get(manifest, "config"), *ls = ynode_get(manifest, "layers");
    const char *cd = str_at(cfg, "digest");
    if (!image_digest_valid(cd))
        return urun_error_set(err, 0, "manifest: config.digest: not a sha256 digest");
    p->config_member = blob_member(cd);
    p->config_digest = xstrdup(cd);
    if (!ls || ls->kind != YNODE_SEQ || ls->n == 0 || ls->n > STORE_MAX_LAYERS)
        return urun_error_set(err, 0, "manifest: layers: expected 1 to %d layers", STORE_MAX_LAYERS);
    for (size_t i = 0; i < ls->n; i++) {
        const char *d = str_at(ls->items[i], "digest");
        uint64_t size;
        if (!image_digest_valid(d) || ynode_u64(ynode_get(ls->items[i], "size"), "size", &size, NULL) < 0)
            return urun_error_set(err, 0, "manifest: layers[%zu]: needs a sha256 digest and a size", i);
        p->layers[i] = (struct layer_src){.member = blob_member(d), .digest = xstrdup(d), .size = size};
        p->n_layers++;
    }
    return 0;
}

static int plan_oci(const struct source *s, struct plan *p, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *index = NULL, *doc = NULL, *inner = NULL;
    _cleanup_free_ char *buf = NULL;
    const struct ynode *desc = NULL;
    size_t len;
    int r = source_read(s, "index.json", STORE_DOC_MAX, &buf, &len, err);
    if (r >= 0 && (r = ytree_parse(buf, len, &index, err)) < 0)
        urun_error_wrap(err, r, "index.json");
    if (r >= 0)
        r = pick_manifest(index, s->tag, &desc, err);
    if (r >= 0)
        r = read_verified(s, desc, "manifest", &doc, err);
    if (r < 0)
        return r;
    const char *rn = str_at(ynode_get(desc, "annotations"), ANN_REF);
    if (rn && strchr(rn, ':') && strrchr(rn, ':') > (strrchr(rn, '/') ? strrchr(rn, '/') : rn))
        p->ref = xstrdup(rn); /* a whole reference, not a bare tag */
    const char *mt = str_at(doc, "mediaType");
    if (mt && (strcmp(mt, MT_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)) {
        const struct ynode *sub = pick_platform(doc);
        if (!sub)
            return urun_error_set(err, 0, "image index: no manifest for linux on this architecture");
        if ((r = read_verified(s, sub, "manifest", &inner, err)) < 0)
            return r;
    }
    return plan_layers(inner ? inner : doc, p, err);
}

/* docker-archive members name blobs by digest ("HEX.json", "blobs/sha256/HEX"): the digest to
 * expect, when this one does. */
static char *digest_in_name(const char *member)
{
    const char *b = strrchr(member, '/') ? strrchr(member, '/') + 1 : member;
    char d[80];
    snprintf(d, sizeof(d), "sha256:%.64s", b);
    return image_digest_valid(d) && (b[64] == '\0' || strcmp(b + 64, ".json") == 0) ? xstrdup(d) : NULL;
}

static int plan_docker(const struct source *s, struct plan *p, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *doc = NULL;
    _cleanup_free_ char *buf = NULL;
    size_t len;
    int r = source_read(s, "manifest.json", STORE_DOC_MAX, &buf, &len, err);
    if (r >= 0 && (r = ytree_parse(buf, len, &doc, err)) < 0)
        urun_error_wrap(err, r, "manifest.json");
    if (r < 0)
        return r;
    if (doc->kind != YNODE_SEQ || doc->n != 1)
        return urun_error_set(err, 0, "manifest.json: expected exactly one image, found %zu",
                              doc->kind == YNODE_SEQ ? doc->n : 0);
    const struct ynode *m = doc->items[0], *ls = ynode_get(m, "Layers"), *tags = ynode_get(m, "RepoTags");
    const char *cfg = str_at(m, "Config");
    if (!cfg)
        return urun_error_set(err, 0, "manifest.json: Config: required");
    p->config_member = xstrdup(cfg);
    p->config_digest = digest_in_name(cfg);
    if (!ls || ls->kind != YNODE_SEQ || ls->n == 0 || ls->n > STORE_MAX_LAYERS)
        return urun_error_set(err, 0, "manifest.json: Layers: expected 1 to %d layers", STORE_MAX_LAYERS);
    for (size_t i = 0; i < ls->n; i++) {
        const char *l;
        if ((r = ynode_string(ls->items[i], "manifest.json: Layers[]", &l, err)) < 0)
            return r;
        p->layers[p->n_layers++] = (struct layer_src){.member = xstrdup(l)};
    }
    if (tags && tags->kind == YNODE_SEQ && tags->n > 0 && tags->items[0]->kind == YNODE_SCALAR)
        p->ref = xstrdup(tags->items[0]->scalar);
    return 0;
}

struct import {
    int storefd, tmpfd, layersfd;
    struct source src;
    struct plan plan;
    struct image_config *config;
    char config_digest[72];
    char *config_buf;
    size_t config_len;
    bool fresh[STORE_MAX_LAYERS]; /* unpacked by this import, in tmp/ */
    uint64_t size;
    unsigned devices;
};

static int load_config(struct import *im, struct urun_error *err)
{
    struct digest d;
    int r = source_read(&im->src, im->plan.config_member, STORE_DOC_MAX, &im->config_buf, &im->config_len, err);
    if (r < 0 || (r = digest_init(&d, err)) < 0)
        return r;
    digest_update(&d, im->config_buf, im->config_len);
    digest_final(&d, im->config_digest);
    if (im->plan.config_digest && strcmp(im->plan.config_digest, im->config_digest) != 0)
        return urun_error_set(err, 0, "config %s: digest mismatch (the blob is %s)", im->plan.config_digest,
                              im->config_digest);
    r = image_config_parse(im->config_buf, im->config_len, &im->config, err);
    if (r < 0)
        return urun_error_wrap(err, r, "config %s", im->config_digest);
    if (im->config->n_diff_ids != im->plan.n_layers)
        return urun_error_set(err, 0, "config %s: %zu diff IDs for %zu layers", im->config_digest,
                              im->config->n_diff_ids, im->plan.n_layers);
    return 0;
}

/* The compressed blob's digest (OCI), or the tar's own when it is not compressed (docker-archive),
 * checked before anything parses the blob. */
static int precheck(const struct layer_src *l, const struct blob *b, const char *diff_id, struct urun_error *err)
{
    char got[72];
    unsigned char magic[4] = {0};
    if (l->digest && b->size != l->size)
        return urun_error_set(err, 0, "blob %s: %llu bytes, the manifest says %llu", l->digest,
                              (unsigned long long)b->size, (unsigned long long)l->size);
    int r = digest_fd_range(b->fd, b->off, b->size, got, err);
    if (r < 0)
        return urun_error_wrap(err, r, "blob %s", l->member);
    if (l->digest && strcmp(got, l->digest) != 0)
        return urun_error_set(err, 0, "blob %s: digest mismatch (the blob is %s)", l->digest, got);
    if (l->digest || strcmp(got, diff_id) == 0)
        return 0;
    bool compressed = pread(b->fd, magic, 4, (off_t)b->off) == 4 &&
                      ((magic[0] == 0x1f && magic[1] == 0x8b) || memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0);
    if (!compressed)
        return urun_error_set(err, 0, "layer %s: digest mismatch (the tar is %s)", l->member, got);
    return 0; /* compressed: its tar's digest is checked while it is unpacked */
}

static int one_layer(struct import *im, size_t i, struct urun_error *err)
{
    const char *diff_id = im->config->diff_ids[i];
    char name[80];
    struct blob b;
    struct unpack_result res;
    _cleanup_close_ int dest = -1;

    snprintf(name, sizeof(name), "L%s", diff_id + 7);
    int r = source_blob(&im->src, im->plan.layers[i].member, &b, err);
    if (r < 0)
        return urun_error_wrap(err, r, "layer %zu", i + 1);
    im->size += b.size;
    if (faccessat(im->layersfd, diff_id + 7, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
        faccessat(im->tmpfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        blob_clear(&b);
        return 0; /* in the store already, or twice in this image */
    }
    helper_progress_step((unsigned)i + 1);
    r = precheck(&im->plan.layers[i], &b, diff_id, err);
    if (r >= 0 && (mkdirat(im->tmpfd, name, 0755) < 0 ||
                   (dest = openat(im->tmpfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0))
        r = urun_error_errno(err, "make a layer directory");
    if (r >= 0)
        r = layer_unpack(&b, diff_id, dest, &res, err);
    blob_clear(&b);
    if (r < 0)
        return urun_error_wrap(err, r, "layer %zu (%s)", i + 1, diff_id);
    im->fresh[i] = true;
    im->devices += res.devices;
    return 0;
}

static int commit(struct import *im, const char *name, const char *tag, struct urun_error *err)
{
    struct image_record rec = {.name = (char *)name,
                               .tag = (char *)tag,
                               .config = im->config_digest,
                               .layers = im->config->diff_ids,
                               .n_layers = im->config->n_diff_ids};
    char file[256], now[64], cfg[80];
    time_t t = time(NULL);
    struct tm tm;
    _cleanup_close_ int imagesfd = openat(im->storefd, "images", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                        configsfd = openat(im->storefd, "configs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (imagesfd < 0 || configsfd < 0)
        return urun_error_errno(err, "image store: open images/ and configs/");
    for (size_t i = 0; i < im->plan.n_layers; i++) {
        char from[80];
        const char *hex = im->config->diff_ids[i] + 7;
        snprintf(from, sizeof(from), "L%s", hex);
        if (im->fresh[i] && renameat(im->tmpfd, from, im->layersfd, hex) < 0 && errno != ENOTEMPTY && errno != EEXIST)
            return urun_error_errno(err, "image store: move layer %s into place", hex);
    }
    snprintf(cfg, sizeof(cfg), "%s.json", im->config_digest + 7);
    int r = write_file_atomic_at(configsfd, cfg, im->config_buf, im->config_len, 0600, true, err);
    if (r < 0)
        return r;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rec.created = now;
    rec.size = im->size;
    _cleanup_free_ char *json = image_record_to_json(&rec);
    if (!json)
        abort();
    image_record_file(name, tag, file);
    return write_file_atomic_at(imagesfd, file, json, strlen(json), 0600, true, err);
}

/* NAME[:TAG] from the command line, else the reference the source carries. */
static int pick_ref(const char *ref, const struct plan *p, char **name, char **tag, struct urun_error *err)
{
    if (!ref && !p->ref)
        return urun_error_set(err, 0, "the source names no image: give one (urun image import SOURCE NAME[:TAG])");
    int r = image_ref_parse(ref ? ref : p->ref, name, tag, err);
    return r < 0 && !ref ? urun_error_wrap(err, r, "the source's name; give one instead") : r;
}

static int run_import(struct import *im, const char *source, const char *ref, struct urun_error *err)
{
    _cleanup_free_ char *name = NULL, *tag = NULL;
    uint64_t total = 0;
    int r = source_open(source, im->tmpfd, &im->src, err);

    if (r >= 0)
        r = im->src.kind == SOURCE_DOCKER_ARCHIVE ? plan_docker(&im->src, &im->plan, err)
                                                  : plan_oci(&im->src, &im->plan, err);
    if (r < 0 || (r = pick_ref(ref, &im->plan, &name, &tag, err)) < 0 || (r = load_config(im, err)) < 0)
        return r;
    for (size_t i = 0; i < im->plan.n_layers; i++) {
        struct blob b;
        if (source_blob(&im->src, im->plan.layers[i].member, &b, NULL) == 0)
            total += 2 * b.size; /* read twice: digest, then unpack */
        blob_clear(&b);
    }
    helper_progress_begin("import", total, (unsigned)im->plan.n_layers);
    for (size_t i = 0; i < im->plan.n_layers && r >= 0; i++)
        r = one_layer(im, i, err);
    helper_progress_end();
    if (r >= 0)
        r = commit(im, name, tag, err);
    if (r < 0)
        return r;
    if (im->devices)
        fprintf(stderr, "urun: image import: skipped %u device node%s (a user namespace cannot make them)\n",
                im->devices, im->devices == 1 ? "" : "s");
    printf("Imported %s:%s (%s)\n", name, tag, im->config_digest);
    return 0;
}

int image_import(const char *source, const char *ref, struct urun_error *err)
{
    struct import im = {.storefd = -1, .tmpfd = -1, .layersfd = -1, .src = {.fd = -1}};
    _cleanup_close_ int lock = -1;
    char tmpname[64] = "";
    int r = store_open(/* create= */ true, &im.storefd, NULL, err);

    if (r >= 0)
        r = store_lock(im.storefd, LOCK_EX, &lock, err);
    if (r >= 0 && (im.layersfd = openat(im.storefd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        r = urun_error_errno(err, "image store: open layers/");
    if (r >= 0)
        r = helper_tmpdir(im.storefd, "import", tmpname, &im.tmpfd, err);
    if (r >= 0)
        r = run_import(&im, source, ref, err);
    if (r < 0)
        urun_error_wrap(err, r, "import %s", source);
    source_close(&im.src);
    plan_clear(&im.plan);
    image_config_free(im.config);
    free(im.config_buf);
    if (im.tmpfd >= 0)
        close(im.tmpfd);
    if (tmpname[0])
        helper_rm_tree(im.storefd, tmpname, NULL);
    if (im.layersfd >= 0)
        close(im.layersfd);
    if (im.storefd >= 0)
        close(im.storefd);
    return r;
}
