/* Experiment reports (markdown, echoed to stdout) and mkdir -p. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

struct lf_report {
    char path[4096];
    char *buf;
    size_t len, cap;
};

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

lf_status lf_report_open(const char *dir, const char *title, lf_report **out)
{
    lf_status s = lf_mkdirs(dir, "report");
    if (s != LF_OK) return s;
    lf_report *r = calloc(1, sizeof *r);
    if (!r) return lf_error(LF_ENOMEM, "report: out of memory");
    snprintf(r->path, sizeof r->path, "%s/README.md", dir);
    *out = r;
    lf_report_line(r, "# %s", title);
    lf_report_line(r, "%s", "");
    return LF_OK;
}

void lf_report_line(lf_report *r, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && r->len + (size_t)n + 2 > r->cap) {
        size_t cap = (r->cap + (size_t)n + 2) * 2;
        char *b = realloc(r->buf, cap);
        if (b) {
            r->buf = b;
            r->cap = cap;
        }
    }
    if (n >= 0 && r->len + (size_t)n + 2 <= r->cap) {
        vsnprintf(r->buf + r->len, (size_t)n + 1, fmt, ap2);
        fputs(r->buf + r->len, stdout);
        fputc('\n', stdout);
        (void)fflush(stdout); /* the echo; the file is written on close */
        r->len += (size_t)n;
        r->buf[r->len++] = '\n';
    }
    va_end(ap2);
}

lf_status lf_report_close(lf_report *r, lf_status s)
{
    if (!r) return s;
    if (s == LF_OK) s = lf_write_atomic(r->path, r->buf ? r->buf : "", r->len);
    free(r->buf);
    free(r);
    return s;
}
