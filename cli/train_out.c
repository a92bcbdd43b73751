/* lossforge train --out DIR: claims the output directory before any work. One writer at a
 * time (an flock held until the process exits), no silent overwrite of another run's files,
 * no stray temp files of dead runs, no path too long for the files the run writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"

/* The files a run of lossforge train writes into --out. */
static const char *const run_files[] = {"metrics.jsonl", "model.safetensors", "result.json",
                                        "checkpoint.safetensors", "curves.svg", "ensemble.json"};
enum { N_RUN_FILES = (int)(sizeof run_files / sizeof run_files[0]) };

/* The library's path buffers (lf_out_dir_check bounds --out by them). */
#define OUT_PATH_LIMIT 4096

static int lock_fd = -1; /* held (never closed) until the process exits */

/* A directory name for a message: long ones keep their head and tail, so the cause that
 * follows is never cut. */
static const char *shown(const char *dir, char *buf, size_t cap)
{
    size_t n = strlen(dir);
    if (n < 120) return dir;
    snprintf(buf, cap, "%.60s...%s", dir, dir + n - 40);
    return buf;
}

/* name is "<anything>.tmp.<pid>": returns the pid, or 0 if the name is not of that form. */
static long tmp_pid(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (!t) return 0;
    while (strstr(t + 1, ".tmp.")) t = strstr(t + 1, ".tmp.");
    const char *p = t + 5;
    if (*p < '1' || *p > '9') return 0;
    char *end;
    errno = 0;
    long pid = strtol(p, &end, 10);
    return *end || errno ? 0 : pid;
}

/* Removes dir's "*.tmp.<pid>" files of this process or of processes that no longer exist. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    long self = (long)getpid();
    int removed = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = tmp_pid(e->d_name);
        if (pid <= 0) continue;
        if (pid != self && !(kill((pid_t)pid, 0) == -1 && errno == ESRCH)) continue;
        char path[OUT_PATH_LIMIT + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        removed += unlink(path) == 0;
    }
    closedir(d);
    if (removed)
        fprintf(stderr, "removed %d temporary file%s of interrupted runs from %s\n", removed,
                removed == 1 ? "" : "s", dir);
}

/* The run files in dir that are not empty, as "a, b" into buf; returns their count. */
static int old_run_files(const char *dir, char *buf, size_t cap)
{
    int n = 0;
    buf[0] = 0;
    for (int i = 0; i < N_RUN_FILES; i++) {
        char path[OUT_PATH_LIMIT + 64];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, run_files[i]);
        if (stat(path, &st) != 0 || st.st_size == 0) continue;
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s", n ? ", " : "", run_files[i]);
        n++;
    }
    return n;
}

int cli_claim_out(const char *dir, int force, int resuming)
{
    if (!dir) return CLI_OK;
    char b[256];
    if (!*dir) return cli_fail("--out: empty directory name");
    if (lf_out_dir_check(dir) != LF_OK || lf_mkdirs(dir, "--out") != LF_OK)
        return cli_fail_status();
    char lock[OUT_PATH_LIMIT + 32];
    snprintf(lock, sizeof lock, "%s/.lossforge.lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cli_fail("--out %s: cannot open the lock file %s: %s", shown(dir, b, sizeof b),
                        ".lossforge.lock", strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            return cli_fail("--out %s: another lossforge run is writing to this directory (it "
                            "holds %s/.lossforge.lock); wait for it to finish or choose another "
                            "--out", shown(dir, b, sizeof b), shown(dir, b, sizeof b));
        return cli_fail("--out %s: cannot lock %s: %s", shown(dir, b, sizeof b),
                        ".lossforge.lock", strerror(err));
    }
    if (lock_fd >= 0) close(lock_fd);
    lock_fd = fd;
    remove_stale_tmp(dir);
    if (resuming > 0) return CLI_OK;
    char list[256];
    if (old_run_files(dir, list, sizeof list) == 0) return CLI_OK;
    if (!force)
        return cli_fail("--out %s: holds the files of another run (%s); pass --force to replace "
                        "them, %s%s%schoose another --out", shown(dir, b, sizeof b), list,
                        resuming < 0 ? "" : "--resume ", resuming < 0 ? "" : shown(dir, b, sizeof b),
                        resuming < 0 ? "or " : " to continue that run, or ");
    /* --force: the old run's files go now, so none of them is left mixed with the new run's. */
    for (int i = 0; i < N_RUN_FILES; i++) {
        char path[OUT_PATH_LIMIT + 64];
        snprintf(path, sizeof path, "%s/%s", dir, run_files[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return cli_fail("--out %s: cannot remove the old %s: %s", shown(dir, b, sizeof b),
                            run_files[i], strerror(errno));
    }
    return CLI_OK;
}
