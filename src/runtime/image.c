/* Implementation of image.h. */
#include "runtime/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "config.h"
#include "container/mounts.h"
#include "runtime/unshare.h"

#define HELPER_NAME "urun-image"
#define HELPER_MAX_ARGS 16

/* Next to urun first (a build directory), then libexecdir: as urun-slirp. */
static int helper_path(char *buf, size_t size)
{
    return util_helper_path(HELPER_NAME, buf, size);
}

static int run_plain(char **argv, int *ret_exit, struct urun_error *err)
{
    int status;
    pid_t pid = fork();
    if (pid < 0)
        return urun_error_errno(err, "fork");
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return urun_error_errno(err, "wait for %s", argv[0]);
    *ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

int image_helper_run(const char *const *args, bool userns, struct urun_error *err)
{
    char path[PATH_MAX], fdarg[16], msg[URUN_ERROR_MSG_MAX];
    char *argv[HELPER_MAX_ARGS + 4] = {path, "--error-fd", fdarg};
    int p[2], status = 0, r;
    size_t n = 3;

    if (helper_path(path, sizeof(path)) < 0)
        return urun_error_set(err, ENOENT, "%s is neither next to urun nor in %s", HELPER_NAME, URUN_LIBEXECDIR);
    for (; *args && n < HELPER_MAX_ARGS; args++)
        argv[n++] = (char *)*args;
    if (pipe2(p, O_CLOEXEC) < 0)
        return urun_error_errno(err, "pipe");
    fcntl(p[1], F_SETFD, 0); /* the helper's error fd */
    snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
    r = userns ? urun_unshare(argv, &status, err) : run_plain(argv, &status, err);
    close(p[1]);
    ssize_t len = read(p[0], msg, sizeof(msg) - 1);
    close(p[0]);
    if (r < 0 || status == 0)
        return r;
    if (len > 0) {
        msg[len] = '\0';
        return urun_error_set(err, 0, "%s", msg);
    }
    return urun_error_set(err, 0, "%s %s: exited with status %d", HELPER_NAME, argv[3], status);
}

/* fuse-overlayfs on PATH, with /dev/fuse open to us. */
static bool find_fuse(char *buf, size_t size)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *dirs = xstrdup(path ? path : "/usr/bin:/bin");
    if (access("/dev/fuse", R_OK | W_OK) < 0)
        return false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, size, "%s/fuse-overlayfs", d);
        if (d[0] == '/' && access(buf, X_OK) == 0)
            return true;
    }
    return false;
}

/* The rootfs of a container from an image: the kernel's overlayfs where a user namespace may mount
 * it (Linux 5.11), else fuse-overlayfs if installed, else a copy.  URUN_IMAGE_ROOTFS=overlay,
 * fuse-overlayfs or copy forces one (tests, debugging); a forced fuse-overlayfs that cannot run is
 * refused rather than replaced. */
static int rootfs_mode(char *fuse, size_t size, const char **ret_mode, struct urun_error *err)
{
    const char *forced = getenv("URUN_IMAGE_ROOTFS");
    bool have_fuse = find_fuse(fuse, size);
    struct utsname u;
    unsigned major = 0, minor = 0;

    if (forced && forced[0]) {
        if (strcmp(forced, "overlay") != 0 && strcmp(forced, "copy") != 0 && strcmp(forced, "fuse-overlayfs") != 0)
            return urun_error_set(err, EINVAL, "URUN_IMAGE_ROOTFS=%s: not overlay, fuse-overlayfs or copy", forced);
        if (strcmp(forced, "fuse-overlayfs") == 0 && !have_fuse)
            return urun_error_set(err, ENOENT,
                                  "URUN_IMAGE_ROOTFS=fuse-overlayfs: no fuse-overlayfs on PATH or "
                                  "/dev/fuse is not open to us");
        *ret_mode = forced;
        return 0;
    }
    if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 && (major > 5 || (major == 5 && minor >= 11)))
        *ret_mode = "overlay";
    else
        *ret_mode = have_fuse ? "fuse-overlayfs" : "copy";
    return 0;
}

struct loaded {
    int storefd, lock, layersfd;
    char *store;
    struct image_record *rec;
    struct image_config *cfg;
};

static void loaded_clear(struct loaded *l)
{
    for (int *fd = &l->storefd; fd <= &l->layersfd; fd++)
        if (*fd >= 0)
            close(*fd);
    free(l->store);
    image_record_free(l->rec);
    image_config_free(l->cfg);
}

/* The image's record and config, with the store locked LOCK_SH (no prune meanwhile). */
static int load_image(const char *ref, struct loaded *l, struct urun_error *err)
{
    _cleanup_free_ char *name = NULL, *tag = NULL, *buf = NULL;
    char file[96];
    size_t len;
    int r = image_ref_parse(ref, &name, &tag, err);

    *l = (struct loaded){.storefd = -1, .lock = -1, .layersfd = -1};
    if (r >= 0)
        r = store_open(/* create= */ false, &l->storefd, &l->store, err);
    if (r == -ENOENT)
        return urun_error_set(err, ENOENT, "image %s:%s not found (see urun image list)", name, tag);
    if (r >= 0)
        r = store_lock(l->storefd, LOCK_SH, &l->lock, err);
    if (r >= 0)
        r = image_record_load(l->storefd, name, tag, &l->rec, err);
    if (r < 0)
        return r;
    snprintf(file, sizeof(file), "configs/%s.json", l->rec->config + 7);
    r = read_regular_file_at(l->storefd, file, STORE_DOC_MAX, &buf, &len, err);
    if (r >= 0 && (r = image_config_parse(buf, len, &l->cfg, err)) < 0)
        urun_error_wrap(err, r, "image %s:%s: config", name, tag);
    if (r >= 0 && (l->layersfd = openat(l->storefd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        r = urun_error_errno(err, "image store %s: layers", l->store);
    for (size_t i = 0; r >= 0 && i < l->rec->n_layers; i++)
        if (faccessat(l->layersfd, l->rec->layers[i] + 7, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
            r = urun_error_errno(err, "image %s:%s: layer %s is missing from the store (import it again)", name, tag,
                                 l->rec->layers[i]);
    return r;
}

/* OVERLAY_FILE's text for l's layers, top first (mounts.h). */
static char *overlay_text(const struct loaded *l, const char *mode, const char *fuse)
{
    size_t n = strlen(l->store) + strlen(fuse) + 64 + l->rec->n_layers * 65;
    char *t = xmalloc(n), *p = t;
    p += sprintf(p, "%s\n%s/layers\n", mode, l->store);
    for (size_t i = l->rec->n_layers; i-- > 0;)
        p += sprintf(p, "%s%s", l->rec->layers[i] + 7, i ? ":" : "\n");
    if (strcmp(mode, "fuse-overlayfs") == 0)
        sprintf(p, "%s\n", fuse);
    return t;
}

/* config.json, rootfs/, and upper/, work/ and OVERLAY_FILE or a flattened copy in rootfs/. */
static int fill_bundle(int dirfd, const char *bundle, const char *ref, const struct loaded *l, const char *json,
                       const char *id, struct urun_error *err)
{
    char fuse[PATH_MAX] = "";
    const char *mode = "copy";
    int r = rootfs_mode(fuse, sizeof(fuse), &mode, err);

    if (r >= 0)
        r = write_file_atomic_at(dirfd, "config.json", json, strlen(json), 0600, false, err);
    if (r < 0)
        return r;
    if (mkdirat(dirfd, "rootfs", 0755) < 0)
        return urun_error_errno(err, "%s/rootfs", bundle);
    log_info("container %s: rootfs from image %s: %s", id, ref,
             strcmp(mode, "overlay") == 0 ? "overlay (the kernel's overlayfs, in the container's user namespace)"
             : strcmp(mode, "copy") == 0  ? "copy (no overlayfs the user namespace may mount)"
                                          : "fuse-overlayfs (no kernel overlayfs the user namespace may mount)");
    if (strcmp(mode, "copy") == 0) {
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", bundle);
        const char *args[] = {"flatten", ref, rootfs, NULL};
        return image_helper_run(args, /* userns= */ true, err);
    }
    _cleanup_free_ char *text = overlay_text(l, mode, fuse);
    if (mkdirat(dirfd, "upper", 0755) < 0 || mkdirat(dirfd, "work", 0700) < 0)
        return urun_error_errno(err, "%s: make upper/ and work/", bundle);
    return write_file_atomic_at(dirfd, MOUNTS_OVERLAY_FILE, text, strlen(text), 0600, false, err);
}

/* Make ROOT/.image/DIRNAME, locked.  One left by a create that died (no container directory, not
 * locked) is removed first; one in use means the ID is taken. */
static int make_bundle_dir(const struct state_root *root, const char *id, const char *path, int *ret_fd,
                           struct urun_error *err)
{
    char name[STATE_NAME_MAX];
    _cleanup_close_ int images = -1;

    if (mkdirat(root->fd, STATE_IMAGE_DIR, 0700) < 0 && errno != EEXIST)
        return urun_error_errno(err, "%s/%s", root->path, STATE_IMAGE_DIR);
    images = openat(root->fd, STATE_IMAGE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (images < 0)
        return urun_error_errno(err, "%s/%s", root->path, STATE_IMAGE_DIR);
    state_container_name(id, name);
    if (faccessat(root->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return urun_error_set(err, EEXIST, "container %s already exists", id);
    for (int tries = 0; tries < 2; tries++) {
        if (mkdirat(images, name, 0700) == 0) {
            int fd = openat(images, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 || flock(fd, LOCK_EX) < 0)
                return fd >= 0 ? (close(fd), urun_error_errno(err, "lock %s", path))
                               : urun_error_errno(err, "%s", path);
            *ret_fd = fd;
            return 0;
        }
        if (errno != EEXIST)
            return urun_error_errno(err, "make %s", path);
        _cleanup_close_ int old = openat(images, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (faccessat(root->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || old < 0 || flock(old, LOCK_EX | LOCK_NB) < 0)
            return urun_error_set(err, EEXIST, "container %s already exists", id);
        int r = image_bundle_remove(root, id, err);
        if (r < 0)
            return urun_error_wrap(err, r, "a bundle left by an earlier create");
    }
    return urun_error_set(err, EEXIST, "container %s already exists", id);
}

int image_bundle_prepare(const struct state_root *root, const char *id, const char *ref,
                         const struct image_overrides *ov, char **ret_bundle, int *ret_lock, struct urun_error *err)
{
    struct loaded l;
    _cleanup_free_ char *json = NULL, *bundle = state_image_bundle_path(root, id);
    _cleanup_close_ int dirfd = -1;
    int r = load_image(ref, &l, err);

    if (r >= 0)
        r = image_spec_json(l.layersfd, l.rec, l.cfg, ov, &json, err);
    if (r >= 0)
        r = make_bundle_dir(root, id, bundle, &dirfd, err);
    if (r >= 0) {
        r = fill_bundle(dirfd, bundle, ref, &l, json, id, err);
        if (r < 0) {
            struct urun_error ignored;
            image_bundle_remove(root, id, &ignored);
        }
    }
    loaded_clear(&l);
    if (r < 0)
        return urun_error_wrap(err, r, "image %s", ref);
    *ret_bundle = TAKE_PTR(bundle);
    *ret_lock = TAKE_FD(dirfd);
    return 0;
}

int image_bundle_remove(const struct state_root *root, const char *id, struct urun_error *err)
{
    struct urun_error first;
    int r = state_image_bundle_remove(root, id, &first);
    if (r >= 0 || root->foreign)
        return r < 0 ? (*err = first, r) : 0;
    /* files the container made as other users than its root: theirs to remove, in the namespace */
    _cleanup_free_ char *path = state_image_bundle_path(root, id);
    const char *args[] = {"rmtree", path, NULL};
    log_debug("container %s: %s; removing its bundle in the user namespace", id, first.msg);
    return image_helper_run(args, /* userns= */ true, err);
}

int image_bundle_discard(const struct state_root *root, const char *id, struct urun_error *err)
{
    char name[STATE_NAME_MAX];
    state_container_name(id, name);
    if (faccessat(root->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    return image_bundle_remove(root, id, err);
}

int image_bundle_write(const char *ref, const char *dir, struct urun_error *err)
{
    struct loaded l;
    struct image_overrides none = {0};
    _cleanup_free_ char *json = NULL, *abs = NULL, *rootfs = NULL;
    _cleanup_close_ int dirfd = -1;
    int r = load_image(ref, &l, err);

    if (r >= 0)
        r = image_spec_json(l.layersfd, l.rec, l.cfg, &none, &json, err);
    loaded_clear(&l);
    if (r < 0)
        return urun_error_wrap(err, r, "image %s", ref);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return urun_error_errno(err, "bundle %s", dir);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || !(abs = realpath(dir, NULL)))
        return urun_error_errno(err, "bundle %s", dir);
    rootfs = xasprintf("%s/rootfs", abs);
    if (faccessat(dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 || mkdirat(dirfd, "rootfs", 0755) < 0)
        return urun_error_set(err, EEXIST, "bundle %s: has a config.json or rootfs already", dir);
    const char *args[] = {"flatten", ref, rootfs, NULL};
    r = image_helper_run(args, /* userns= */ true, err);
    if (r >= 0)
        r = write_file_atomic_at(dirfd, "config.json", json, strlen(json), 0644, true, err);
    if (r < 0) {
        const char *rm[] = {"rmtree", rootfs, NULL};
        struct urun_error ignored;
        image_helper_run(rm, true, &ignored);
    }
    return r;
}

/* Line 3 of MOUNTS_OVERLAY_FILE in bundle dir name of images: its layers, top first; NULL without. */
static char *bundle_lowers(int images, const char *name)
{
    _cleanup_free_ char *file = xasprintf("%s/%s", name, MOUNTS_OVERLAY_FILE), *text = NULL;
    struct urun_error ignored;
    char *save = NULL, *l;
    size_t len;

    if (read_regular_file_at(images, file, MOUNTS_OVERLAY_MAX, &text, &len, &ignored) < 0)
        return NULL;
    l = strtok_r(text, "\n", &save);
    for (int i = 0; l && i < 2; i++)
        l = strtok_r(NULL, "\n", &save);
    return l ? xstrdup(l) : NULL;
}

/* ", ID" for bundle dir name, from its container's id file (the name where it has none). */
static void append_id(const struct state_root *root, const char *name, char **ids)
{
    _cleanup_free_ char *file = xasprintf("%s/%s", name, STATE_ID_FILE), *id = NULL, *old = *ids;
    struct urun_error ignored;
    size_t len;
    if (read_regular_file_at(root->fd, file, STATE_NAME_MAX, &id, &len, &ignored) < 0)
        id = xstrdup(name);
    id[strcspn(id, "\n")] = '\0';
    *ids = old ? xasprintf("%s, %s", old, id) : xstrdup(id);
}

int image_users(const struct state_root *root, const char *ref, char **ret_ids, struct urun_error *err)
{
    _cleanup_free_ char *name = NULL, *tag = NULL, *store = NULL, *want = NULL, *ids = NULL;
    _cleanup_close_ int storefd = -1;
    _cleanup_(image_record_freep) struct image_record *rec = NULL;
    int r = image_ref_parse(ref, &name, &tag, err);

    if (r >= 0)
        r = store_open(/* create= */ false, &storefd, &store, err);
    if (r >= 0)
        r = image_record_load(storefd, name, tag, &rec, err);
    if (r < 0)
        return r;
    struct loaded l = {.store = store, .rec = rec};
    want = overlay_text(&l, "overlay", "");
    /* want is "overlay\nSTORE/layers\nLOWERS\n": w, its third line */
    char *w = strchr(strchr(want, '\n') + 1, '\n') + 1;
    w[strcspn(w, "\n")] = '\0';
    int fd = openat(root->fd, STATE_IMAGE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        *ret_ids = NULL;
        return errno == ENOENT ? 0 : urun_error_errno(err, "%s/%s", root->path, STATE_IMAGE_DIR);
    }
    for (struct dirent *de; (de = readdir(d));) {
        _cleanup_free_ char *lowers = de->d_name[0] == '.' ? NULL : bundle_lowers(dirfd(d), de->d_name);
        if (lowers && strcmp(w, lowers) == 0)
            append_id(root, de->d_name, &ids);
    }
    closedir(d);
    *ret_ids = TAKE_PTR(ids);
    return 0;
}
