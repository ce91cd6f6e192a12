/* urun-image: the image helper urun execs for `urun image` (import, rm, prune, bundle) and for the
 * copy fallback of `run --image`.  libarchive and libcrypto live only here, off urun's start-up path.
 * urun starts it inside the user's namespace (root there is the user, 1.. the subordinate IDs), so
 * layers are unpacked with their real owners.  It reports a failure as one line on --error-fd (urun
 * shows it as its own error), or on stderr when run by hand.
 *
 *   urun-image [--error-fd N] import SOURCE [NAME[:TAG]]
 *   urun-image [--error-fd N] rm NAME[:TAG]
 *   urun-image [--error-fd N] prune [BUNDLES FILE]   (keeps the layers line 3 of BUNDLES/ * /FILE names)
 *   urun-image [--error-fd N] flatten NAME[:TAG] DIR
 *   urun-image [--error-fd N] rmtree DIR */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/helper/flatten.h"
#include "image/helper/helper.h"
#include "image/helper/import.h"
#include "image/helper/manage.h"

static int rmtree(const char *path, struct urun_error *err)
{
    char *slash = strrchr(path, '/');
    if (path[0] != '/' || !slash || !slash[1])
        return urun_error_set(err, 0, "rmtree: %s: expected an absolute path", path);
    _cleanup_free_ char *parent = xstrndup(path, (size_t)(slash - path));
    int dfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return urun_error_errno(err, "rmtree: open %s", parent);
    int r = helper_rm_tree(dfd, slash + 1, err);
    close(dfd);
    return r < 0 ? urun_error_wrap(err, r, "remove %s", path) : 0;
}

static int dispatch(int argc, char **argv, struct urun_error *err)
{
    const char *cmd = argc > 0 ? argv[0] : "";
    if (strcmp(cmd, "import") == 0 && (argc == 2 || argc == 3))
        return image_import(argv[1], argc == 3 ? argv[2] : NULL, err);
    if (strcmp(cmd, "rm") == 0 && argc == 2)
        return image_rm(argv[1], err);
    if (strcmp(cmd, "prune") == 0 && (argc == 1 || argc == 3))
        return image_prune(argc == 3 ? argv[1] : NULL, argc == 3 ? argv[2] : NULL, err);
    if (strcmp(cmd, "flatten") == 0 && argc == 3)
        return image_flatten(argv[1], argv[2], err);
    if (strcmp(cmd, "rmtree") == 0 && argc == 2)
        return rmtree(argv[1], err);
    return urun_error_set(err, 0,
                          "usage: urun-image [--error-fd N] import SOURCE [NAME[:TAG]] | rm NAME[:TAG] | "
                          "prune [BUNDLES FILE] | flatten NAME[:TAG] DIR | rmtree DIR");
}

int main(int argc, char **argv)
{
    struct urun_error err = {0};
    char msg[URUN_ERROR_MSG_MAX + 256];
    int errfd = -1;
    struct rlimit rl;

    argc--, argv++;
    if (argc >= 2 && strcmp(argv[0], "--error-fd") == 0) {
        errfd = atoi(argv[1]);
        if (errfd < 3 || fcntl(errfd, F_SETFD, FD_CLOEXEC) < 0)
            errfd = -1;
        argc -= 2, argv += 2;
    }
    /* deep trees keep a directory fd open per level */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    helper_catch_signals();
    umask(022);
    if (dispatch(argc, argv, &err) >= 0)
        return fflush(stdout) == 0 ? 0 : 1;
    urun_error_format(&err, msg, sizeof(msg));
    if (errfd < 0 || write_all(errfd, msg, strlen(msg)) < 0)
        fprintf(stderr, "urun-image: %s\n", msg);
    return 1;
}
