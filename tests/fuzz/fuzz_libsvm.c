/* LIBSVM reader: the first byte picks the feature count (0 = the largest index seen), the rest
 * is the file. Densifying is by design: a file naming index 10^9 asks for 10^9 columns per row,
 * which the allocator refuses (the harness runs with ASan's allocator_may_return_null=1). */
#include "fuzz.h"

#include <math.h>

int lf_fuzz_libsvm(const uint8_t *data, size_t size)
{
    int64_t features = size ? data[0] % 16 : 0;
    const char *path = lf_fuzz_file(0, "data.svm", data + (size ? 1 : 0), size ? size - 1 : 0);
    lf_dataset ds;
    if (lf_read_libsvm(path, features, &ds) != LF_OK) return 0;
    for (int64_t i = 0; i < ds.n * ds.d; i++)
        if (!isfinite(ds.x[i])) lf_fuzz_fail("libsvm: a non-finite feature was accepted");
    for (int64_t i = 0; i < ds.n; i++)
        if (ds.y[i] < 0 || ds.y[i] >= ds.n_classes) lf_fuzz_fail("libsvm: label out of range");
    lf_dataset_release(&ds);
    return 0;
}
LF_FUZZ_ENTRY(libsvm)
