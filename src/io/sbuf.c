/* A growable text buffer: printf-style appends that remember running out of memory, so a
 * writer checks once at the end instead of after every line. */
#include "internal.h"

#include <stdarg.h>

void lf_sbuf_vprintf(lf_sbuf *b, const char *fmt, va_list ap)
{
    if (b->oom) return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, aq);
        va_end(aq);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

void lf_sbuf_printf(lf_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_sbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void lf_sbuf_free(lf_sbuf *b)
{
    free(b->p);
    *b = (lf_sbuf){0};
}
