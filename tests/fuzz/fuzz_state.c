/* The state parser: the input as a container's state.json, read with state_read (through a directory
 * of the harness's own, made once under $TMPDIR, /tmp by default), then printed as `urun state`
 * prints it (state_to_json), written back with state_write and read again: what urun writes, urun must
 * read back unchanged.  No status is derived from it: that would look at whatever process has the pid. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "runtime/state.h"

static char dir_path[4096];
static int dir_fd = -1;

/* Whatever state_write left there (state.json, its temporary files, ...), then the directory. */
static void remove_dir(void)
{
    DIR *d = dir_fd >= 0 ? fdopendir(dup(dir_fd)) : NULL;
    struct dirent *de;

    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            unlinkat(dir_fd, de->d_name, 0);
    if (d)
        closedir(d);
    rmdir(dir_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir_path, sizeof(dir_path), "%s/urun-fuzz-state.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_path) || (dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        perror("fuzz_state: make a state directory");
        exit(1);
    }
    atexit(remove_dir);
    return 0;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_same(const struct urun_state *a, const struct urun_state *b)
{
    FUZZ_CHECK(same_str(a->id, b->id) && same_str(a->bundle, b->bundle) && same_str(a->rootfs, b->rootfs));
    FUZZ_CHECK(same_str(a->created, b->created) && same_str(a->cgroup, b->cgroup));
    FUZZ_CHECK(same_str(a->owner_name, b->owner_name));
    FUZZ_CHECK(a->pid == b->pid && a->start_time == b->start_time && a->owner == b->owner);
    FUZZ_CHECK(a->helper_pid == b->helper_pid && a->helper_start_time == b->helper_start_time);
    FUZZ_CHECK(a->n_annotations == b->n_annotations);
    for (size_t i = 0; i < a->n_annotations; i++) {
        FUZZ_CHECK(same_str(a->annotations[i].key, b->annotations[i].key));
        FUZZ_CHECK(same_str(a->annotations[i].value, b->annotations[i].value));
    }
}

static void put_file(const uint8_t *data, size_t size)
{
    _cleanup_close_ int fd = openat(dir_fd, STATE_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

    FUZZ_CHECK(fd >= 0);
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        FUZZ_CHECK(n > 0 || errno == EINTR);
        if (n > 0)
            data += n, size -= (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(state_freep) struct urun_state *st = NULL, *again = NULL;
    struct urun_error err = {0};
    int r;

    put_file(data, size);
    r = state_read(dir_fd, &st, &err);
    fuzz_note("state_read", r, &err);
    FUZZ_CHECK_ERROR(r, err);
    if (r < 0) {
        FUZZ_CHECK(!st);
        return 0;
    }
    FUZZ_CHECK(st->id);
    free(state_to_json(st, URUN_STATUS_RUNNING, /* pretty= */ false));
    free(state_to_json(st, URUN_STATUS_STOPPED, /* pretty= */ true));
    r = state_write(dir_fd, st, &err);
    FUZZ_CHECK(r >= 0);
    r = state_read(dir_fd, &again, &err);
    FUZZ_CHECK(r >= 0);
    check_same(st, again);
    return 0;
}
