/* Copying a directory tree between two open directories, for the tmpcopyup mount option (podman adds it
 * to every tmpfs it asks for: the new tmpfs starts with what the image had at that path). */
#pragma once

#include "base/error.h"

/* Copy everything below src into dst: directories, regular files, symlinks and fifos, with their
 * owners, modes and times (the owner only where the user namespace maps it).  Device nodes and sockets
 * cannot be made in a user namespace and are skipped.  Both fds stay open and owned by the caller. */
int copy_tree(int src, int dst, struct urun_error *err);
