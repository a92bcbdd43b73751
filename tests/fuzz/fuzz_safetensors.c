/* safetensors reader, and the model-file loader on top of it: every accepted tensor is read end
 * to end, and a file that loads as a model is run forward once. */
#include "fuzz.h"
#include "internal.h"
#include "lossforge/adversarial.h"

#include <stdlib.h>

int lf_fuzz_safetensors(const uint8_t *data, size_t size)
{
    const char *path = lf_fuzz_file(0, "file.safetensors", data, size);
    lf_st *st;
    if (lf_st_read(path, &st) == LF_OK) {
        unsigned sum = 0;
        for (int i = 0; i < lf_st_count(st); i++) {
            const lf_st_entry *e = lf_st_at(st, i);
            size_t n = lf_dtype_size(e->dtype);
            for (int d = 0; d < e->ndim; d++) n *= (size_t)e->shape[d];
            for (size_t j = 0; j < n; j++) sum += ((const uint8_t *)e->data)[j];
            if (lf_st_get(st, e->name) != e) lf_fuzz_fail("safetensors: lookup by name");
        }
        (void)sum;
        lf_st_free(st);
    }
    lf_model *m;
    lf_norm norm;
    if (lf_model_load(path, &m, &norm) == LF_OK) {
        lf_model_free(m);
        lf_norm_release(&norm);
    }
    return 0;
}
LF_FUZZ_ENTRY(safetensors)
