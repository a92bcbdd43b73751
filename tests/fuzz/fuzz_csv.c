/* CSV reader: the first byte picks the options (header, label column, delimiter), the rest is
 * the file. */
#include "fuzz.h"

#include <math.h>

int lf_fuzz_csv(const uint8_t *data, size_t size)
{
    static const char delims[4] = {',', ';', '\t', ' '};
    uint8_t o = size ? data[0] : 0;
    lf_csv_opts opts = {o & 1, (int)((o >> 1) & 7) - 2, delims[(o >> 4) & 3]};
    const char *path = lf_fuzz_file(0, "data.csv", data + (size ? 1 : 0), size ? size - 1 : 0);
    lf_dataset ds;
    if (lf_read_csv(path, &opts, &ds) != LF_OK) return 0;
    for (int64_t i = 0; i < ds.n * ds.d; i++)
        if (!isfinite(ds.x[i])) lf_fuzz_fail("csv: a non-finite feature was accepted");
    for (int64_t i = 0; ds.y && i < ds.n; i++)
        if (ds.y[i] < 0 || ds.y[i] >= ds.n_classes) lf_fuzz_fail("csv: label out of range");
    lf_dataset_release(&ds);
    return 0;
}
LF_FUZZ_ENTRY(csv)
