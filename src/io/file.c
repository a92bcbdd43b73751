/* Whole-file reads (gzip-transparent) and atomic whole-file writes. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A missing file is a "not found", anything else (permissions, a directory) an I/O error. */
static lf_status open_error(const char *path, int err)
{
    return lf_error(err == ENOENT ? LF_ENOTFOUND : LF_EIO, "%s: cannot open: %s", path,
                    strerror(err));
}

/* Reads a plain file in one go: its size is known up front. */
static lf_status read_plain(const char *path, unsigned char **data, size_t *n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return open_error(path, errno);
    struct stat st;
    int bad_stat = fstat(fd, &st) != 0;
    if (bad_stat || !S_ISREG(st.st_mode)) {
        int err = bad_stat ? errno : 0;
        close(fd);
        return lf_error(LF_EIO, "%s: not a regular file%s%s", path, err ? ": " : "",
                        err ? strerror(err) : "");
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return lf_error(LF_ENOMEM, "%s: cannot allocate %zu bytes", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int err = r < 0 ? errno : 0;
            free(buf);
            close(fd);
            return lf_error(LF_EIO, "%s: read failed after %zu of %zu bytes%s%s", path, got, size,
                            err ? ": " : "", err ? strerror(err) : "");
        }
        got += (size_t)r;
    }
    close(fd);
    buf[size] = 0;
    *data = buf;
    *n = size;
    return LF_OK;
}

/* gzip stores the uncompressed length mod 2^32 in its last 4 bytes: a good first capacity.
 * Only a hint: capped by deflate's best ratio (1032:1) and ignored for non-gzip files. */
static size_t gz_size_hint(const char *path, size_t file_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char m[2], t[4];
    size_t hint = 0;
    if (fread(m, 1, 2, f) == 2 && m[0] == 0x1f && m[1] == 0x8b && fseek(f, -4, SEEK_END) == 0 &&
        fread(t, 1, 4, f) == 4)
        hint = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    (void)fclose(f); /* read-only: nothing to lose */
    return file_size <= SIZE_MAX / 1032 && hint <= file_size * 1032 ? hint : 0;
}

static lf_status gz_fail(const char *path, gzFile g, unsigned char *buf, const char *what)
{
    int zerr = 0;
    const char *msg = gzerror(g, &zerr);
    lf_status s = lf_error(zerr == Z_ERRNO ? LF_EIO : LF_EFORMAT, "%s: %s: %s", path, what,
                           zerr == Z_ERRNO ? strerror(errno) : msg);
    free(buf);
    gzclose(g);
    return s;
}

/* zlib reads non-gzip files through unchanged, so this serves both kinds. */
static lf_status read_gz(const char *path, unsigned char **data, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0) return open_error(path, errno);
    if (!S_ISREG(st.st_mode)) return lf_error(LF_EIO, "%s: not a regular file", path);
    gzFile g = gzopen(path, "rb");
    if (!g) return open_error(path, errno ? errno : ENOMEM);
    gzbuffer(g, 1u << 18);
    size_t cap = gz_size_hint(path, (size_t)st.st_size);
    if (cap < (size_t)st.st_size) cap = (size_t)st.st_size;
    cap += 1;
    size_t len = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) return gz_fail(path, g, NULL, "cannot allocate the read buffer");
    for (;;) {
        if (len == cap) {
            if (cap > SIZE_MAX / 2 - 1) return gz_fail(path, g, buf, "file too large");
            unsigned char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) return gz_fail(path, g, buf, "cannot grow the read buffer");
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - len < (size_t)INT_MAX ? cap - len : (size_t)INT_MAX;
        int r = gzread(g, buf + len, (unsigned)want);
        if (r < 0) return gz_fail(path, g, buf, "read failed");
        if (r == 0) break;
        len += (size_t)r;
    }
    if (gzclose(g) != Z_OK) {
        free(buf);
        return lf_error(LF_EFORMAT, "%s: truncated or corrupt gzip stream", path);
    }
    buf[len] = 0;
    *data = buf;
    *n = len;
    return LF_OK;
}

/* The buffer always carries one extra NUL byte past *n, so text parsers may rely on it. */
lf_status lf_read_file(const char *path, int gz, unsigned char **data, size_t *n)
{
    if (!path || !data || !n) return lf_error(LF_EINVAL, "lf_read_file: NULL argument");
    return gz ? read_gz(path, data, n) : read_plain(path, data, n);
}

static lf_status write_all(int fd, const char *tmp, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return lf_error(LF_EIO, "%s: write failed: %s", tmp, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    if (fsync(fd) != 0) return lf_error(LF_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
    return LF_OK;
}

/* The rename is durable only once the directory entry itself is on disk. */
static lf_status sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else {
        size_t len = slash == path ? 1 : (size_t)(slash - path);
        if (len >= sizeof dir) return lf_error(LF_EIO, "%s: path too long", path);
        memcpy(dir, path, len);
        dir[len] = 0;
    }
    int fd = open(dir, O_RDONLY);
    if (fd < 0) return lf_error(LF_EIO, "%s: cannot open directory %s: %s", path, dir,
                                strerror(errno));
    int r = fsync(fd);
    int err = errno;
    close(fd);
    if (r != 0 && err != EINVAL) /* some file systems cannot sync directories */
        return lf_error(LF_EIO, "%s: fsync of directory %s failed: %s", path, dir, strerror(err));
    return LF_OK;
}

lf_status lf_write_atomic(const char *path, const void *data, size_t n)
{
    if (!path || (!data && n)) return lf_error(LF_EINVAL, "lf_write_atomic: NULL argument");
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return lf_error(LF_EIO, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return lf_error(LF_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    lf_status s = write_all(fd, tmp, data, n);
    if (close(fd) != 0 && s == LF_OK)
        s = lf_error(LF_EIO, "%s: close failed: %s", tmp, strerror(errno));
    if (s == LF_OK && rename(tmp, path) != 0)
        s = lf_error(LF_EIO, "%s: rename from %s failed: %s", path, tmp, strerror(errno));
    if (s != LF_OK) {
        unlink(tmp);
        return s;
    }
    return sync_dir(path);
}

lf_status lf_mkdirs(const char *dir, const char *what)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return lf_error(LF_EINVAL, "%s: path too long", what);
    for (char *q = path + 1;; q++) {
        if (*q != '/' && *q != '\0') continue;
        char c = *q;
        *q = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return lf_error(LF_EIO, "%s %s: cannot create directory %s: %s", what, dir, path,
                            strerror(errno));
        *q = c;
        if (!c) return LF_OK;
    }
}
