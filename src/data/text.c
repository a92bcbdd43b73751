/* Line and number scanning shared by the CSV and LIBSVM readers: no allocation per field. */
#include "reader.h"

#include <math.h>
#include <string.h>

void lf_lines_init(lf_lines *it, const char *text, size_t n)
{
    it->p = text;
    it->end = text + n;
    it->lineno = 0;
}

int lf_lines_next(lf_lines *it, const char **b, const char **e)
{
    if (it->p >= it->end) return 0;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl ? nl : it->end;
    *b = it->p;
    *e = stop > it->p && stop[-1] == '\r' ? stop - 1 : stop;
    it->p = nl ? nl + 1 : it->end;
    it->lineno++;
    return 1;
}

static int blank(char c) { return c == ' ' || c == '\t'; }

int lf_is_blank(const char *b, const char *e)
{
    while (b < e && blank(*b)) b++;
    return b == e;
}

/* Trimming first keeps strtod from skipping a newline into the next line. */
int lf_parse_number(const char *b, const char *e, double *v)
{
    while (b < e && blank(*b)) b++;
    while (e > b && blank(e[-1])) e--;
    if (b == e) return 0;
    char *end;
    *v = strtod(b, &end);
    return end == e;
}

int lf_parse_label(const char *b, const char *e, int64_t *v)
{
    double d;
    if (!lf_parse_number(b, e, &d) || !(fabs(d) <= 9007199254740992.0) || d != floor(d)) return 0;
    *v = (int64_t)d;
    return 1;
}

void lf_c_numeric_begin(lf_c_numeric *l)
{
    l->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    l->old = l->c ? uselocale(l->c) : (locale_t)0;
}

void lf_c_numeric_end(lf_c_numeric *l)
{
    if (!l->c) return;
    uselocale(l->old);
    freelocale(l->c);
}
