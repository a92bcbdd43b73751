/* .npy reader: the whole input is the file; an accepted array is walked end to end. */
#include "fuzz.h"

int lf_fuzz_npy(const uint8_t *data, size_t size)
{
    const char *path = lf_fuzz_file(0, "array.npy", data, size);
    lf_npy a;
    if (lf_npy_read(path, &a) != LF_OK) return 0;
    int64_t count = 1;
    for (int i = 0; i < a.ndim; i++) count *= a.shape[i];
    if (count != a.count) lf_fuzz_fail("npy: count is not the shape's product");
    size_t bytes = (size_t)a.count * lf_dtype_size(a.dtype);
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += ((const uint8_t *)a.data)[i];
    (void)sum;
    lf_npy_release(&a);
    return 0;
}
LF_FUZZ_ENTRY(npy)
