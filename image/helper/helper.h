/* What the parts of the urun-image helper share: cancellation (SIGINT/SIGTERM end an import
 * cleanly), the progress line, and fd-relative file operations that never follow a symlink out of
 * the directory they start from. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* SIGINT, SIGTERM and SIGHUP set the flag below instead of killing us. */
void helper_catch_signals(void);
/* A signal asked us to stop: every loop polls this and fails with EINTR, so cleanup runs. */
bool helper_cancelled(void);

/* The progress line on stderr, only when it is a terminal: "import: layer 2/5, 31.0/120.4 MB". */
void helper_progress_begin(const char *what, uint64_t total_bytes, unsigned n_steps);
void helper_progress_step(unsigned step);
void helper_progress_add(uint64_t bytes);
void helper_progress_end(void);

/* openat2(dirfd, path, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV):
 * path cannot leave dirfd, by "..", an absolute path or any symlink.  -errno on failure. */
int open_beneath(int dirfd, const char *path, int flags, mode_t mode);

/* Remove dirfd/name and everything below it, without following symlinks or crossing mounts. */
int helper_rm_tree(int dirfd, const char *name, struct urun_error *err);

/* An archive member's name without empty and "." components and without a leading '/':
 * "./a//b" -> "a/b" into a new string (*ret, "" for the root itself).  Returns its length, or
 * -EINVAL (nothing allocated) for a ".." component anywhere. */
int helper_clean_path(const char *in, size_t len, char **ret);

/* A new empty directory tmp/PREFIX.XXXXXX in the store: its name relative to the store and an fd. */
int helper_tmpdir(int storefd, const char *prefix, char ret_name[64], int *ret_fd, struct urun_error *err);
/* Empty tmp/ of the store: what imports killed on the way left (call with the store locked LOCK_EX). */
int helper_clean_tmp(int storefd, struct urun_error *err);
