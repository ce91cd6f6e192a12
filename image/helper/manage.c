/* Implementation of manage.h, with the store locked LOCK_EX throughout. */
#include "image/helper/manage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/common/store.h"
#include "image/helper/helper.h"

static int open_locked(int *storefd, int *lock, struct urun_error *err)
{
    int r = store_open(/* create= */ false, storefd, NULL, err);
    return r < 0 ? r : store_lock(*storefd, LOCK_EX, lock, err);
}

/* Whether any record names digest as its config (what == 'c') or as a layer ('l'). */
static bool in_use(struct image_record **v, size_t n, const char *hex, char what)
{
    for (size_t i = 0; i < n; i++) {
        if (what == 'c' && strcmp(v[i]->config + 7, hex) == 0)
            return true;
        for (size_t j = 0; what == 'l' && j < v[i]->n_layers; j++)
            if (strcmp(v[i]->layers[j] + 7, hex) == 0)
                return true;
    }
    return false;
}

int image_rm(const char *ref, struct urun_error *err)
{
    _cleanup_close_ int storefd = -1, lock = -1, images = -1, configs = -1;
    _cleanup_(image_record_freep) struct image_record *rec = NULL;
    _cleanup_free_ char *name = NULL, *tag = NULL;
    struct image_record **all = NULL;
    size_t n = 0;
    char file[256], cfg[80];
    int r = image_ref_parse(ref, &name, &tag, err);

    if (r >= 0)
        r = open_locked(&storefd, &lock, err);
    if (r >= 0)
        r = image_record_load(storefd, name, tag, &rec, err);
    if (r < 0)
        return r;
    images = openat(storefd, "images", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    configs = openat(storefd, "configs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    image_record_file(name, tag, file);
    if (images < 0 || unlinkat(images, file, 0) < 0)
        return urun_error_errno(err, "remove image %s:%s", name, tag);
    if ((r = image_record_list(storefd, &all, &n, err)) < 0)
        return r;
    snprintf(cfg, sizeof(cfg), "%s.json", rec->config + 7);
    if (configs >= 0 && !in_use(all, n, rec->config + 7, 'c'))
        unlinkat(configs, cfg, 0);
    image_record_list_free(all, n);
    printf("Removed %s:%s\n", name, tag);
    return 0;
}

/* Every container bundle's layers: line 3 of BUNDLES/NAME/FILE ("HEX:HEX..."), one line each.  A
 * bundle without the file (a copy rootfs) uses none. */
static int bundle_layers(const char *bundles, const char *file, char **ret, struct urun_error *err)
{
    DIR *d = opendir(bundles);
    size_t size = 0;
    FILE *out = open_memstream(ret, &size);

    if (!out)
        abort();
    if (!d) {
        fclose(out);
        return errno == ENOENT ? 0 : urun_error_errno(err, "image prune: list the containers' bundles %s", bundles);
    }
    for (struct dirent *de; (de = readdir(d));) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct urun_error ignored;
        size_t len;
        char *save = NULL, *l;
        if (de->d_name[0] == '.')
            continue;
        path = xasprintf("%s/%s", de->d_name, file);
        if (read_regular_file_at(dirfd(d), path, 65536, &text, &len, &ignored) < 0)
            continue;
        l = strtok_r(text, "\n", &save);
        for (int i = 0; l && i < 2; i++)
            l = strtok_r(NULL, "\n", &save);
        if (l)
            fprintf(out, "%s\n", l);
    }
    closedir(d);
    fclose(out);
    return 0;
}

/* Remove what dir holds that no record uses and (layers) no container's bundle names in keep:
 * layers/HEX, configs/HEX.json. */
static int sweep(int storefd, const char *dir, struct image_record **all, size_t n, const char *keep,
                 unsigned *ret_count, struct urun_error *err)
{
    int fd = openat(storefd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    int r = 0;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return errno == ENOENT ? 0 : urun_error_errno(err, "image store: list %s", dir);
    }
    bool layers = strcmp(dir, "layers") == 0;
    while (r >= 0 && (de = readdir(d))) {
        char hex[65];
        if (de->d_name[0] == '.' || strlen(de->d_name) < 64)
            continue;
        snprintf(hex, sizeof(hex), "%.64s", de->d_name);
        /* keep: 64-hex names between ':' and '\n', so a match is a whole name */
        if (in_use(all, n, hex, layers ? 'l' : 'c') || (layers && keep && strstr(keep, hex)))
            continue;
        r = helper_rm_tree(dirfd(d), de->d_name, err);
        if (r >= 0)
            ++*ret_count;
    }
    closedir(d);
    return r < 0 ? urun_error_wrap(err, r, "image store: %s", dir) : 0;
}

int image_prune(const char *bundles, const char *file, struct urun_error *err)
{
    _cleanup_close_ int storefd = -1, lock = -1;
    _cleanup_free_ char *keep = NULL;
    struct image_record **all = NULL;
    size_t n = 0;
    unsigned layers = 0, configs = 0;
    int r = open_locked(&storefd, &lock, err);

    if (r == -ENOENT) {
        printf("Removed 0 layers\n");
        return 0;
    }
    if (r >= 0)
        r = image_record_list(storefd, &all, &n, err);
    if (r >= 0 && bundles)
        r = bundle_layers(bundles, file, &keep, err);
    if (r >= 0)
        r = helper_clean_tmp(storefd, err);
    if (r >= 0)
        r = sweep(storefd, "layers", all, n, keep, &layers, err);
    if (r >= 0)
        r = sweep(storefd, "configs", all, n, NULL, &configs, err);
    image_record_list_free(all, n);
    if (r >= 0)
        printf("Removed %u layer%s\n", layers, layers == 1 ? "" : "s");
    return r;
}
