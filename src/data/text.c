/* Line and number scanning shared by the CSV and LIBSVM readers: no allocation per field. */
#include "reader.h"

#include <float.h>
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

/* Digits into m (at most 15 significant ones, so m stays an exact double); NULL when more. */
static const char *digits(const char *p, const char *e, uint64_t *m, int *nd, int *any)
{
    for (; p < e && (unsigned)(*p - '0') < 10; p++) {
        *m = *m * 10 + (uint64_t)(*p - '0');
        *any = 1;
        if (*m && ++*nd > 15) return NULL;
    }
    return p;
}

/* Clinger's fast path: with at most 15 significant digits and a power of ten up to 1e22 both
 * operands are exact doubles, so one multiplication or division rounds correctly and gives the
 * very double strtod would. Returns 0 (use strtod) for anything else: more digits, larger
 * exponents, hex, inf, nan, or text that is not a number. */
static int fast_number(const char *p, const char *e, double *v)
{
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = p < e && *p == '-', nd = 0, any = 0, ex = 0;
    uint64_t m = 0;
    if (p < e && (*p == '-' || *p == '+')) p++;
    const char *q = digits(p, e, &m, &nd, &any);
    if (q && q < e && *q == '.') {
        p = q + 1;
        q = digits(p, e, &m, &nd, &any);
        if (q) ex = -(int)(q - p);
    }
    if (!q || !any) return 0;
    if (q < e && (*q == 'e' || *q == 'E')) {
        int eneg = ++q < e && *q == '-', x = 0;
        if (q < e && (*q == '-' || *q == '+')) q++;
        if (q == e) return 0;
        for (; q < e && (unsigned)(*q - '0') < 10 && x < 1000; q++) x = x * 10 + (*q - '0');
        ex += eneg ? -x : x;
    }
    if (q != e || FLT_EVAL_METHOD != 0) return 0; /* x87 excess precision would round twice */
    if (m == 0) {
        *v = neg ? -0.0 : 0.0;
        return 1;
    }
    if (ex < -22 || ex > 22) return 0;
    double d = (double)m;
    d = ex < 0 ? d / pow10[-ex] : d * pow10[ex];
    *v = neg ? -d : d;
    return 1;
}

/* Trimming first keeps strtod from skipping a newline into the next line. */
int lf_parse_number(const char *b, const char *e, double *v)
{
    while (b < e && blank(*b)) b++;
    while (e > b && blank(e[-1])) e--;
    if (b == e) return 0;
    if (fast_number(b, e, v)) return 1;
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
