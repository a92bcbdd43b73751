/* The registry: every descriptor of LF_REGISTRY (src/internal.h) in one table, looked up by
 * kind and name. */
#include "internal.h"

#include <string.h>

#define LF_DESC_PTR(id) &lf_desc_##id,
/* The trailing NULL keeps the initializer valid while the list is empty. */
static const lf_desc *const table[] = {LF_REGISTRY(LF_DESC_PTR) NULL};
#undef LF_DESC_PTR

#define LF_COUNT_ONE(id) +1 /* NOLINT(bugprone-macro-parentheses): a term of a sum */
enum { LF_REGISTRY_N = 0 LF_REGISTRY(LF_COUNT_ONE) };
#undef LF_COUNT_ONE

static_assert(sizeof table / sizeof table[0] == (size_t)LF_REGISTRY_N + 1,
              "the registry table must hold one entry per LF_REGISTRY line plus the sentinel");

int lf_registry_count(void) { return LF_REGISTRY_N; }

const lf_desc *lf_registry_at(int i)
{
    return i >= 0 && i < LF_REGISTRY_N ? table[i] : NULL;
}

const char *lf_kind_name(lf_kind k)
{
    static const char *const names[LF_KIND_COUNT] = {"loss",  "optimizer", "schedule",
                                                     "model", "dataset",   "experiment"};
    return (unsigned)k < LF_KIND_COUNT ? names[k] : "unknown kind";
}

/* The descriptor `name` of `kind`, or of any kind when kind == LF_KIND_COUNT. */
static const lf_desc *lookup(lf_kind kind, const char *name)
{
    for (int i = 0; i < LF_REGISTRY_N; i++)
        if ((kind == LF_KIND_COUNT || table[i]->kind == kind) && !strcmp(table[i]->name, name))
            return table[i];
    return NULL;
}

/* "ce, mse, gce" into buf, cut with "..." when it does not fit. */
static void known_names(lf_kind kind, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < LF_REGISTRY_N; i++) {
        if (table[i]->kind != kind) continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", table[i]->name);
        if (w < 0 || (size_t)w >= cap - len) {
            memcpy(buf + (cap > 4 ? cap - 4 : 0), "...", cap > 4 ? 4 : 1);
            return;
        }
        len += (size_t)w;
    }
    if (len == 0) snprintf(buf, cap, "(none)");
}

lf_status lf_registry_find(lf_kind kind, const char *name, const lf_desc **out)
{
    if ((unsigned)kind >= LF_KIND_COUNT)
        return lf_error(LF_EINVAL, "registry: kind %d out of range", (int)kind);
    if (!name) return lf_error(LF_EINVAL, "registry: %s name is NULL", lf_kind_name(kind));
    const lf_desc *d = lookup(kind, name);
    if (d) {
        *out = d;
        return LF_OK;
    }
    const char *k = lf_kind_name(kind);
    const char *plural = k[strlen(k) - 1] == 's' ? "es" : "s";
    char known[640];
    known_names(kind, known, sizeof known);
    /* Naming the kind a misplaced name belongs to saves a trip to `lossforge list`. */
    const lf_desc *other = lookup(LF_KIND_COUNT, name);
    if (other) {
        const char *ok = lf_kind_name(other->kind);
        return lf_error(LF_ENOTFOUND, "unknown %s \"%s\" (it is a%s %s); known %s%s: %s", k, name,
                        strchr("aeiou", ok[0]) ? "n" : "", ok, k, plural, known);
    }
    return lf_error(LF_ENOTFOUND, "unknown %s \"%s\"; known %s%s: %s", k, name, k, plural, known);
}
