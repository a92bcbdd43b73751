/* Spec strings, against every registered kind: whatever parses must print a canonical form
 * that parses back to the same canonical form; losses, optimizers and schedules are also
 * created (their cross-parameter checks run) and used once. Models, datasets and experiments
 * are parsed only: creating them would allocate what the spec asks for or read files. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void round_trip(lf_kind kind, const char *spec)
{
    const lf_desc *d, *d2;
    void *cfg = NULL, *cfg2 = NULL;
    static char canon[8192], again[8192];
    if (lf_spec_new(kind, spec, &d, &cfg) != LF_OK) return;
    if (lf_spec_canonical(d, cfg, canon, sizeof canon) != LF_OK)
        lf_fuzz_fail("spec: no canonical form for a parsed spec");
    if (lf_spec_new(kind, canon, &d2, &cfg2) != LF_OK || d2 != d)
        lf_fuzz_fail("spec: the canonical form does not parse back");
    if (lf_spec_canonical(d2, cfg2, again, sizeof again) != LF_OK || strcmp(canon, again) != 0)
        lf_fuzz_fail("spec: the canonical form is not a fixed point");
    free(cfg);
    free(cfg2);
}

static void create_and_use(const char *spec)
{
    lf_loss *l;
    if (lf_loss_create(spec, &l) == LF_OK) {
        float pred[6] = {0.5f, -1, 2, 0, 1, -0.5f}, dpred[6];
        int32_t label[2] = {0, 1};
        lf_batch b = {.pred = pred, .n = 2, .k = 3, .label = label};
        double v;
        /* labels alone (pair losses read them as class ids of embeddings) */
        if ((lf_loss_needs(l) & ~(unsigned)LF_LOSS_PAIRS) == LF_NEED_LABEL)
            (void)lf_loss_eval(l, &b, &v, dpred);
        lf_loss_free(l);
    }
    lf_optim *o;
    if (lf_optim_create(spec, 8, NULL, &o) == LF_OK) {
        float w[8] = {1, -1, 0.5f, 0, 2, -2, 0.25f, 1}, g[8] = {0.1f, 0.2f, -0.3f, 0, 1, -1, 0, 2};
        (void)lf_optim_step(o, w, g, 1.0);
        lf_optim_free(o);
    }
    lf_schedule *s;
    if (lf_schedule_create(spec, &s) == LF_OK) {
        for (int64_t t = 0; t < 4; t++) (void)lf_schedule_at(s, t * 33, 100);
        lf_schedule_free(s);
    }
}

int lf_fuzz_spec(const uint8_t *data, size_t size)
{
    char spec[4096];
    size_t n = size < sizeof spec - 1 ? size : sizeof spec - 1;
    memcpy(spec, data, n);
    spec[n] = 0;
    for (int k = 0; k < LF_KIND_COUNT; k++) round_trip((lf_kind)k, spec);
    create_and_use(spec);
    return 0;
}
LF_FUZZ_ENTRY(spec)
