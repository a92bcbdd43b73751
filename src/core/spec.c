/* Spec strings: "name[:item(,item)*]" where an item is "key=value" or a positional value of the
 * descriptor's one INTLIST parameter ("mlp:256,256,act=relu"). No whitespace is trimmed.
 *
 * Values: FLOAT is a finite strtod number; INT an integer (digits, or an exact exponent form such
 * as 1e6); BOOL is 0, 1, true or false; ENUM one of the choices; STR any text without ',' (the
 * item separator; ':', ';' and '=' are fine) shorter than LF_STR_MAX; an INTLIST takes up to
 * LF_LIST_MAX positional integers, and "key=" (empty) sets it to the empty list. Every value is
 * consumed fully and range-checked against the parameter table; defaults go through the same
 * checks, so a bad descriptor fails on its first parse.
 *
 * Numbers are read and written in the C locale whatever the process locale: for the duration of
 * a parse or a canonical print the calling thread switches to a C locale object (POSIX
 * uselocale), so "0.1" means the same under de_DE and canonical forms never hold a ','. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

enum { MAX_PARAMS = 64, MAX_CHOICES = 1024 };

/* ------------------------------------------------------------------ C locale scope */
typedef struct c_locale_scope {
    locale_t c, old;
} c_locale_scope;

static lf_status c_locale_enter(c_locale_scope *sc)
{
    sc->old = (locale_t)0;
    sc->c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (sc->c == (locale_t)0) return lf_error(LF_ENOMEM, "spec: cannot create the C locale");
    sc->old = uselocale(sc->c);
    return LF_OK;
}

static void c_locale_leave(c_locale_scope *sc)
{
    uselocale(sc->old);
    freelocale(sc->c);
}

/* ------------------------------------------------------------------ messages */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static lf_status fail(const lf_desc *d, lf_status s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lf_error(s, "%s \"%s\": %s", lf_kind_name(d->kind), d->name, msg);
}

/* Shortest of %.15g / %.17g that reads back as v, so bounds print as written ("0.1", "inf"). */
static void fmt_num(double v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, cap, "%.17g", v);
}

/* "(0, 1]", "[0, inf)". */
static void range_text(const lf_param_desc *p, char *buf, size_t cap)
{
    char lo[32], hi[32];
    fmt_num(p->min, lo, sizeof lo);
    fmt_num(p->max, hi, sizeof hi);
    int open_lo = (p->flags & LF_OPEN_MIN) || isinf(p->min);
    int open_hi = (p->flags & LF_OPEN_MAX) || isinf(p->max);
    snprintf(buf, cap, "%c%s, %s%c", open_lo ? '(' : '[', lo, hi, open_hi ? ')' : ']');
}

/* "lr, b1, b2, wd". */
static void valid_keys(const lf_desc *d, char *buf, size_t cap)
{
    size_t len = 0;
    snprintf(buf, cap, "(none)");
    for (int i = 0; i < d->nparams && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", d->params[i].key);
        if (w < 0) break;
        len += (size_t)w;
    }
}

/* ------------------------------------------------------------------ enum choices */
/* Start and length of choice idx of "a|b|c"; 0 when idx is out of range. */
static int choice_at(const char *choices, int idx, const char **start, size_t *len)
{
    const char *c = choices ? choices : "";
    if (idx < 0) return 0;
    for (int i = 0; i < idx; i++) {
        c = strchr(c, '|');
        if (!c) return 0;
        c++;
    }
    size_t n = strcspn(c, "|");
    if (n == 0) return 0;
    *start = c;
    *len = n;
    return 1;
}

static int choice_index(const char *choices, const char *value)
{
    const char *s;
    size_t n;
    for (int i = 0; choice_at(choices, i, &s, &n); i++)
        if (n == strlen(value) && !memcmp(s, value, n)) return i;
    return -1;
}

/* ------------------------------------------------------------------ values */
static lf_status check_range(const lf_desc *d, const lf_param_desc *p, double v, const char *text)
{
    int below = v < p->min || ((p->flags & LF_OPEN_MIN) && v == p->min);
    int above = v > p->max || ((p->flags & LF_OPEN_MAX) && v == p->max);
    if (!below && !above) return LF_OK;
    char range[80];
    range_text(p, range, sizeof range);
    return fail(d, LF_EINVAL, "parameter \"%s\" must be in %s, got %s", p->key, range, text);
}

static lf_status parse_float(const lf_desc *d, const lf_param_desc *p, const char *text,
                             double *out)
{
    char *end;
    double v = *text && !isspace((unsigned char)*text) ? strtod(text, &end) : 0;
    if (!*text || isspace((unsigned char)*text) || *end)
        return fail(d, LF_EINVAL, "parameter \"%s\" expects a number, got \"%s\"", p->key, text);
    if (!isfinite(v))
        return fail(d, LF_EINVAL, "parameter \"%s\" must be a finite number, got \"%s\"", p->key,
                    text);
    *out = v;
    return LF_OK;
}

/* Digits, or an exponent form that is an exact integer (|v| <= 2^53), e.g. steps=1e6. */
static lf_status parse_int(const lf_desc *d, const lf_param_desc *p, const char *text,
                           int64_t *out)
{
    if (*text && !isspace((unsigned char)*text)) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (!*end) {
            if (errno == ERANGE)
                return fail(d, LF_EINVAL, "parameter \"%s\" is out of the 64-bit range, got %s",
                            p->key, text);
            *out = v;
            return LF_OK;
        }
        double x = strtod(text, &end);
        if (!*end && isfinite(x) && x == trunc(x) && fabs(x) <= 9007199254740992.0) {
            *out = (int64_t)x;
            return LF_OK;
        }
    }
    return fail(d, LF_EINVAL, "parameter \"%s\" expects an integer, got \"%s\"", p->key, text);
}

static lf_status parse_bool(const lf_desc *d, const lf_param_desc *p, const char *text, int *out)
{
    if (!strcmp(text, "1") || !strcmp(text, "true")) *out = 1;
    else if (!strcmp(text, "0") || !strcmp(text, "false")) *out = 0;
    else
        return fail(d, LF_EINVAL, "parameter \"%s\" expects 0, 1, true or false, got \"%s\"",
                    p->key, text);
    return LF_OK;
}

static lf_status parse_enum(const lf_desc *d, const lf_param_desc *p, const char *text, int *out)
{
    int i = choice_index(p->choices, text);
    if (i >= 0) {
        *out = i;
        return LF_OK;
    }
    char list[512] = "";
    size_t len = 0;
    const char *s;
    size_t n;
    for (int k = 0; choice_at(p->choices, k, &s, &n) && len < sizeof list; k++) {
        int w = snprintf(list + len, sizeof list - len, "%s%.*s", k ? ", " : "", (int)n, s);
        if (w < 0) break;
        len += (size_t)w;
    }
    return fail(d, LF_EINVAL, "parameter \"%s\" must be one of %s; got \"%s\"", p->key, list,
                text);
}

static lf_status set_str(const lf_desc *d, const lf_param_desc *p, const char *text, char *field)
{
    size_t n = strlen(text);
    if (n >= LF_STR_MAX)
        return fail(d, LF_EINVAL, "parameter \"%s\" is %zu characters long; the limit is %d",
                    p->key, n, LF_STR_MAX - 1);
    if (strchr(text, ','))
        return fail(d, LF_EINVAL, "parameter \"%s\" cannot hold ',' (it separates items), got "
                                  "\"%s\"", p->key, text);
    memset(field, 0, LF_STR_MAX);
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): n < LF_STR_MAX, field zeroed */
    memcpy(field, text, n);
    return LF_OK;
}

static lf_status list_append(const lf_desc *d, const lf_param_desc *p, lf_intlist *l,
                             const char *text)
{
    if (l->n >= LF_LIST_MAX)
        return fail(d, LF_EINVAL, "parameter \"%s\" takes at most %d values", p->key,
                    LF_LIST_MAX);
    int64_t v;
    lf_status s = parse_int(d, p, text, &v);
    if (s == LF_OK) s = check_range(d, p, (double)v, text);
    if (s == LF_OK) l->v[l->n++] = v;
    return s;
}

/* A whole list from "256,256" ("" = empty); used for defaults. */
static lf_status set_list(const lf_desc *d, const lf_param_desc *p, const char *text,
                          lf_intlist *l)
{
    memset(l, 0, sizeof *l);
    while (*text) {
        size_t n = strcspn(text, ",");
        char item[64];
        if (n >= sizeof item)
            return fail(d, LF_EINVAL, "parameter \"%s\" expects integers, got \"%.40s...\"",
                        p->key, text);
        snprintf(item, sizeof item, "%.*s", (int)n, text);
        lf_status s = list_append(d, p, l, item);
        if (s != LF_OK) return s;
        text += n + (text[n] == ',');
    }
    return LF_OK;
}

/* Parses text as p's value into cfg. */
static lf_status set_value(const lf_desc *d, const lf_param_desc *p, char *cfg, const char *text)
{
    void *field = cfg + p->offset;
    lf_status s;
    switch (p->type) {
    case LF_PT_FLOAT: {
        double v = 0;
        s = parse_float(d, p, text, &v);
        if (s == LF_OK) s = check_range(d, p, v, text);
        if (s == LF_OK) memcpy(field, &v, sizeof v);
        return s;
    }
    case LF_PT_INT: {
        int64_t v = 0;
        s = parse_int(d, p, text, &v);
        if (s == LF_OK) s = check_range(d, p, (double)v, text);
        if (s == LF_OK) memcpy(field, &v, sizeof v);
        return s;
    }
    case LF_PT_BOOL:
    case LF_PT_ENUM: {
        int v = 0;
        s = p->type == LF_PT_BOOL ? parse_bool(d, p, text, &v) : parse_enum(d, p, text, &v);
        if (s == LF_OK) memcpy(field, &v, sizeof v);
        return s;
    }
    case LF_PT_STR:
        return set_str(d, p, text, field);
    case LF_PT_INTLIST:
        return set_list(d, p, text, field);
    }
    return fail(d, LF_EINVAL, "parameter \"%s\" has unknown type %d", p->key, (int)p->type);
}

/* Defaults are written out as text and parsed like user values, so they get the same checks. */
static lf_status set_default(const lf_desc *d, const lf_param_desc *p, char *cfg)
{
    char text[LF_STR_MAX];
    const char *t = text;
    const char *start;
    size_t n;
    if (p->type == LF_PT_STR || p->type == LF_PT_INTLIST)
        t = p->choices ? p->choices : "";
    else if (p->type != LF_PT_ENUM)
        snprintf(text, sizeof text, "%.17g", p->def);
    else if (p->def >= 0 && p->def < MAX_CHOICES && p->def == floor(p->def) &&
             choice_at(p->choices, (int)p->def, &start, &n))
        snprintf(text, sizeof text, "%.*s", (int)n, start);
    else
        return fail(d, LF_EINVAL, "parameter \"%s\": default index %g is not a choice of \"%s\"",
                    p->key, p->def, p->choices ? p->choices : "");
    lf_status s = set_value(d, p, cfg, t);
    if (s != LF_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", lf_last_error());
        return lf_error(s, "%s (the descriptor's default)", msg);
    }
    return LF_OK;
}

/* ------------------------------------------------------------------ items */
typedef struct parser {
    const lf_desc *d;
    char *cfg;
    const char *args;             /* the whole item list, for messages */
    int list;                     /* index of the INTLIST parameter, or -1 */
    int npos;                     /* positional values seen */
    unsigned char seen[MAX_PARAMS];
} parser;

static int find_key(const lf_desc *d, const char *key)
{
    for (int i = 0; i < d->nparams; i++)
        if (!strcmp(d->params[i].key, key)) return i;
    return -1;
}

static lf_status positional(parser *ps, const char *item)
{
    const lf_desc *d = ps->d;
    if (ps->list < 0) {
        char keys[512];
        valid_keys(d, keys, sizeof keys);
        return fail(d, LF_EINVAL, "positional value \"%s\" but no list parameter; write "
                                  "key=value with a key of: %s", item, keys);
    }
    const lf_param_desc *p = &d->params[ps->list];
    lf_intlist *l = (lf_intlist *)(ps->cfg + p->offset);
    if (ps->npos == 0) {
        if (ps->seen[ps->list])
            return fail(d, LF_EINVAL, "parameter \"%s\" given twice", p->key);
        ps->seen[ps->list] = 1;
        memset(l, 0, sizeof *l); /* positional values replace the default list */
    }
    ps->npos++;
    return list_append(d, p, l, item);
}

static lf_status keyed(parser *ps, char *item, char *eq)
{
    const lf_desc *d = ps->d;
    *eq = '\0';
    const char *key = item, *value = eq + 1;
    if (!*key) return fail(d, LF_EINVAL, "empty parameter name in \"=%s\"", value);
    int i = find_key(d, key);
    if (i < 0) {
        char keys[512];
        valid_keys(d, keys, sizeof keys);
        return fail(d, LF_EINVAL, "unknown parameter \"%s\"; valid: %s", key, keys);
    }
    const lf_param_desc *p = &d->params[i];
    if (ps->seen[i]) return fail(d, LF_EINVAL, "parameter \"%s\" given twice", key);
    ps->seen[i] = 1;
    if (p->type == LF_PT_INTLIST && *value)
        return fail(d, LF_EINVAL, "parameter \"%s\" is a list: give its values positionally "
                                  "(\"%s:1,2\"), or \"%s=\" for an empty list", key, d->name, key);
    return set_value(d, p, ps->cfg, value);
}

static lf_status parse_items(parser *ps, char *buf)
{
    for (char *item = buf;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        if (!*item) return fail(ps->d, LF_EINVAL, "empty item in \"%s\"", ps->args);
        char *eq = strchr(item, '=');
        lf_status s = eq ? keyed(ps, item, eq) : positional(ps, item);
        if (s != LF_OK || !comma) return s;
        item = comma + 1;
    }
}

static lf_status fill(const lf_desc *d, const char *args, char *cfg, char *buf)
{
    parser ps = {.d = d, .cfg = cfg, .args = args, .list = -1};
    for (int i = 0; i < d->nparams; i++) {
        if (d->params[i].type == LF_PT_INTLIST && ps.list < 0) ps.list = i;
        lf_status s = set_default(d, &d->params[i], cfg);
        if (s != LF_OK) return s;
    }
    return buf ? parse_items(&ps, buf) : LF_OK;
}

lf_status lf_spec_parse_args(const lf_desc *d, const char *args, void *cfg)
{
    if (!d || !cfg) return lf_error(LF_EINVAL, "spec: NULL descriptor or config");
    if (d->nparams < 0 || d->nparams > MAX_PARAMS)
        return fail(d, LF_EINVAL, "has %d parameters; the parser takes 0..%d", d->nparams,
                    MAX_PARAMS);
    /* Zeroed scratch: the caller's cfg stays untouched on failure, and padding is
     * deterministic, so equal specs give byte-identical configs. */
    char *tmp = calloc(1, d->cfg_size ? d->cfg_size : 1);
    char *buf = args ? strdup(args) : NULL;
    if (!tmp || (args && !buf)) {
        free(tmp);
        free(buf);
        return lf_error(LF_ENOMEM, "spec: out of memory parsing %s \"%s\"", lf_kind_name(d->kind),
                        d->name);
    }
    c_locale_scope sc;
    lf_status s = c_locale_enter(&sc);
    if (s == LF_OK) {
        s = fill(d, args, tmp, buf);
        c_locale_leave(&sc);
    }
    if (s == LF_OK) memcpy(cfg, tmp, d->cfg_size);
    free(tmp);
    free(buf);
    return s;
}

/* Finds the descriptor named by the part of spec before ':'; *args = the rest (NULL if none). */
static lf_status resolve(lf_kind kind, const char *spec, const lf_desc **d, const char **args)
{
    if ((unsigned)kind >= LF_KIND_COUNT)
        return lf_error(LF_EINVAL, "spec: kind %d out of range", (int)kind);
    if (!spec || !*spec) return lf_error(LF_EINVAL, "empty %s spec", lf_kind_name(kind));
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0)
        return lf_error(LF_EINVAL, "%s spec \"%s\" has an empty name", lf_kind_name(kind), spec);
    char *name = strndup(spec, n);
    if (!name) return lf_error(LF_ENOMEM, "spec: out of memory");
    lf_status s = lf_registry_find(kind, name, d);
    free(name);
    *args = colon ? colon + 1 : NULL;
    return s;
}

lf_status lf_spec_parse(lf_kind kind, const char *spec, const lf_desc **desc, void *cfg)
{
    const lf_desc *d;
    const char *args;
    lf_status s = resolve(kind, spec, &d, &args);
    if (s == LF_OK) s = lf_spec_parse_args(d, args, cfg);
    if (s == LF_OK && desc) *desc = d;
    return s;
}

lf_status lf_spec_new(lf_kind kind, const char *spec, const lf_desc **desc, void **cfg)
{
    if (!cfg) return lf_error(LF_EINVAL, "spec: NULL config pointer");
    const lf_desc *d;
    const char *args;
    lf_status s = resolve(kind, spec, &d, &args);
    if (s != LF_OK) return s;
    void *c = malloc(d->cfg_size ? d->cfg_size : 1);
    if (!c) return lf_error(LF_ENOMEM, "spec: out of memory for %s \"%s\"", lf_kind_name(kind),
                            d->name);
    s = lf_spec_parse_args(d, args, c);
    if (s != LF_OK) {
        free(c);
        return s;
    }
    *cfg = c;
    if (desc) *desc = d;
    return LF_OK;
}

/* ------------------------------------------------------------------ canonical form */
/* Appends with snprintf semantics; with buf == NULL it only counts. */
typedef struct writer {
    char *buf;
    size_t cap, len;
} writer;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(writer *w, const char *fmt, ...)
{
    size_t room = w->buf && w->len < w->cap ? w->cap - w->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) w->len += (size_t)n;
}

static lf_status put_value(const lf_desc *d, const lf_param_desc *p, const char *field,
                           writer *w)
{
    switch (p->type) {
    case LF_PT_FLOAT: {
        double v;
        memcpy(&v, field, sizeof v);
        if (!isfinite(v))
            return fail(d, LF_ENUMERIC, "parameter \"%s\" is not finite (%g)", p->key, v);
        put(w, "%.17g", v);
        return LF_OK;
    }
    case LF_PT_INT: {
        int64_t v;
        memcpy(&v, field, sizeof v);
        put(w, "%lld", (long long)v);
        return LF_OK;
    }
    case LF_PT_BOOL:
    case LF_PT_ENUM: {
        int v;
        memcpy(&v, field, sizeof v);
        const char *s = v ? "true" : "false";
        size_t n = strlen(s);
        if (p->type == LF_PT_BOOL ? (v != 0 && v != 1) : !choice_at(p->choices, v, &s, &n))
            return fail(d, LF_EINVAL, "parameter \"%s\" holds %d, not a valid value", p->key, v);
        put(w, "%.*s", (int)n, s);
        return LF_OK;
    }
    case LF_PT_STR:
        if (!memchr(field, '\0', LF_STR_MAX) || strchr(field, ','))
            return fail(d, LF_EINVAL, "parameter \"%s\" is unterminated or holds ','", p->key);
        put(w, "%s", field);
        return LF_OK;
    case LF_PT_INTLIST: {
        const lf_intlist *l = (const lf_intlist *)field;
        if (l->n < 0 || l->n > LF_LIST_MAX)
            return fail(d, LF_EINVAL, "parameter \"%s\" holds %d values (0..%d)", p->key, l->n,
                        LF_LIST_MAX);
        for (int k = 0; k < l->n; k++) put(w, "%s%lld", k ? "," : "", (long long)l->v[k]);
        return LF_OK;
    }
    }
    return fail(d, LF_EINVAL, "parameter \"%s\" has unknown type %d", p->key, (int)p->type);
}

/* name, then the list's values positionally, then key=value for the rest in table order;
 * an empty list is written "key=". */
static lf_status emit(const lf_desc *d, const char *cfg, writer *w)
{
    put(w, "%s", d->name);
    const char *sep = ":";
    int list = -1;
    for (int i = 0; i < d->nparams && list < 0; i++)
        if (d->params[i].type == LF_PT_INTLIST) list = i;
    if (list >= 0 && ((const lf_intlist *)(cfg + d->params[list].offset))->n > 0) {
        put(w, "%s", sep);
        lf_status s = put_value(d, &d->params[list], cfg + d->params[list].offset, w);
        if (s != LF_OK) return s;
        sep = ",";
    } else {
        list = -1;
    }
    for (int i = 0; i < d->nparams; i++) {
        if (i == list) continue;
        put(w, "%s%s=", sep, d->params[i].key);
        sep = ",";
        lf_status s = put_value(d, &d->params[i], cfg + d->params[i].offset, w);
        if (s != LF_OK) return s;
    }
    return LF_OK;
}

lf_status lf_spec_canonical(const lf_desc *d, const void *cfg, char *buf, size_t cap)
{
    if (!d || !cfg || !buf) return lf_error(LF_EINVAL, "spec: NULL argument to canonical");
    c_locale_scope sc;
    lf_status s = c_locale_enter(&sc);
    if (s != LF_OK) return s;
    writer count = {NULL, 0, 0};
    s = emit(d, cfg, &count);
    if (s == LF_OK && count.len >= cap)
        s = fail(d, LF_EINVAL, "canonical spec needs %zu bytes, the buffer has %zu",
                 count.len + 1, cap);
    if (s == LF_OK) {
        writer out = {buf, cap, 0};
        s = emit(d, cfg, &out);
    }
    c_locale_leave(&sc);
    return s;
}
