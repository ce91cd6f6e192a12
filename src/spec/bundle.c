/* Implementation of bundle.h.  Reads files and resolves paths; never creates anything. */
#include "spec/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

static int read_config(int dirfd, const char *bundle, char **ret_buf, size_t *ret_len, const char **ret_name,
                       struct urun_error *err)
{
    static const char *const names[] = {"config.json", "config.yaml"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        struct urun_error e;
        int r = read_file_at(dirfd, names[i], SPEC_MAX_BYTES, ret_buf, ret_len, &e);
        if (r == -ENOENT)
            continue;
        *ret_name = names[i];
        if (r < 0) {
            *err = e;
            return urun_error_wrap(err, r, "bundle %s", bundle);
        }
        return 0;
    }
    return urun_error_set(err, 0, "bundle %s: no config.json (or config.yaml)", bundle);
}

int bundle_load(const char *dir, struct urun_bundle *ret, struct urun_error *err)
{
    _cleanup_free_ char *path = NULL, *buf = NULL, *rootfs_in = NULL, *rootfs = NULL;
    _cleanup_(spec_freep) struct urun_spec *spec = NULL;
    _cleanup_close_ int dirfd = -1;
    const char *name = NULL;
    struct stat st;
    size_t len;
    int r;

    path = realpath(dir ? dir : ".", NULL);
    if (!path)
        return urun_error_errno(err, "bundle %s", dir ? dir : ".");
    dirfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dirfd < 0)
        return urun_error_errno(err, "bundle %s", path);
    r = read_config(dirfd, path, &buf, &len, &name, err);
    if (r < 0)
        return r;
    r = spec_parse(buf, len, &spec, err);
    if (r < 0)
        return urun_error_wrap(err, r, "%s/%s", path, name);
    if (!spec->process)
        return urun_error_set(err, 0, "%s/%s: process: required to create a container", path, name);

    rootfs_in = spec->root_path[0] == '/' ? xstrdup(spec->root_path) : xasprintf("%s/%s", path, spec->root_path);
    rootfs = realpath(rootfs_in, NULL);
    if (!rootfs)
        return urun_error_errno(err, "root.path: rootfs %s", rootfs_in);
    if (stat(rootfs, &st) < 0)
        return urun_error_errno(err, "root.path: rootfs %s", rootfs);
    if (!S_ISDIR(st.st_mode))
        return urun_error_set(err, ENOTDIR, "root.path: rootfs %s", rootfs);

    ret->path = TAKE_PTR(path);
    ret->rootfs = TAKE_PTR(rootfs);
    ret->spec = TAKE_PTR(spec);
    ret->config = TAKE_PTR(buf);
    ret->config_len = len;
    return 0;
}

void bundle_clear(struct urun_bundle *b)
{
    free(b->path);
    free(b->rootfs);
    spec_free(b->spec);
    free(b->config);
    b->config = NULL;
    b->path = b->rootfs = NULL;
    b->spec = NULL;
}
