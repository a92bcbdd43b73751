/* The miner object: a spec-selected pair selector whose mask an embedding loss reads through
 * lf_batch.pairs. Miners are a short list of their own rather than a registry kind. */
#include "loss/embed.h"

#include <string.h>

static const lf_desc *const miners[] = {&lf_miner_desc_ms};
enum { N_MINERS = sizeof miners / sizeof miners[0] };

struct lf_miner {
    const lf_desc *desc;
    void *cfg;
    lf_embed_ws ws;
    char spec[512];
};

int lf_miner_count(void) { return N_MINERS; }
const lf_desc *lf_miner_at(int i) { return i >= 0 && i < N_MINERS ? miners[i] : NULL; }

static lf_status find_miner(const char *spec, const lf_desc **d, const char **args)
{
    if (!spec || !*spec) return lf_error(LF_EINVAL, "empty miner spec");
    size_t len = strcspn(spec, ":");
    *args = spec[len] ? spec + len + 1 : NULL;
    for (int i = 0; i < N_MINERS; i++)
        if (strlen(miners[i]->name) == len && !strncmp(miners[i]->name, spec, len)) {
            *d = miners[i];
            return LF_OK;
        }
    char known[256] = "";
    for (int i = 0; i < N_MINERS; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 miners[i]->name);
    return lf_error(LF_ENOTFOUND, "unknown miner \"%.*s\"; known miners: %s", (int)len, spec,
                    known);
}

lf_status lf_miner_create(const char *spec, lf_miner **out)
{
    if (!out) return lf_error(LF_EINVAL, "lf_miner_create: out is NULL");
    const lf_desc *d;
    const char *args;
    lf_status s = find_miner(spec, &d, &args);
    if (s != LF_OK) return s;
    lf_miner *m = calloc(1, sizeof *m);
    void *cfg = calloc(1, d->cfg_size);
    if (!m || !cfg) {
        free(m);
        free(cfg);
        return lf_error(LF_ENOMEM, "lf_miner_create: out of memory");
    }
    m->desc = d;
    m->cfg = cfg;
    s = lf_spec_parse_args(d, args, cfg);
    if (s == LF_OK) s = lf_spec_canonical(d, cfg, m->spec, sizeof m->spec);
    if (s != LF_OK) {
        lf_miner_free(m);
        return s;
    }
    *out = m;
    return LF_OK;
}

void lf_miner_free(lf_miner *m)
{
    if (!m) return;
    lf_embed_ws_release(&m->ws);
    free(m->cfg);
    free(m);
}

lf_status lf_miner_mine(lf_miner *m, const lf_batch *b, uint8_t *pairs, int64_t *n_pos,
                        int64_t *n_neg)
{
    if (!m || !b || !pairs)
        return lf_error(LF_EINVAL, "lf_miner_mine: miner, batch or pairs is NULL");
    if (!b->pred || !b->label)
        return lf_error(LF_EINVAL, "miner \"%s\" needs batch fields \"pred\" and \"label\"",
                        m->desc->name);
    if (b->n <= 0 || b->k <= 0)
        return lf_error(LF_EINVAL, "miner \"%s\": batch shape n=%lld, k=%lld must be positive",
                        m->desc->name, (long long)b->n, (long long)b->k);
    int64_t p = 0, q = 0;
    const lf_miner_vt *vt = m->desc->impl;
    lf_status s = vt->mine(m->cfg, &m->ws, b, pairs, &p, &q);
    if (s != LF_OK) return s;
    if (n_pos) *n_pos = p;
    if (n_neg) *n_neg = q;
    return LF_OK;
}

const char *lf_miner_spec(const lf_miner *m) { return m->spec; }
const lf_desc *lf_miner_desc(const lf_miner *m) { return m->desc; }
