/* Status codes and the thread-local error message: the library's only mutable global. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

const char *lf_last_error(void) { return last_error; }

lf_status lf_error(lf_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

const char *lf_status_name(lf_status s)
{
    static const char *const names[] = {"LF_OK",     "LF_EINVAL",   "LF_ENOMEM",  "LF_EIO",
                                        "LF_EFORMAT", "LF_ENUMERIC", "LF_ENOTFOUND"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "LF_E?";
}

int lf_mul_overflows(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0) return 1;
    if (a != 0 && b > INT64_MAX / a) return 1;
    *out = a * b;
    return 0;
}
