/* IDX reader: the input is an images file and a labels file, split at the position given by its
 * first two bytes (so both headers, their agreement and the data lengths get fuzzed). Plain
 * inputs also reach zlib's gzip detection; fuzz_idx_gz feeds the same layout compressed. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Reads the pair from the two files and walks the result. */
static void read_pair(const char *im, const char *lb)
{
    lf_dataset ds;
    if (lf_read_idx(im, lb, &ds) != LF_OK) return;
    unsigned sum = 0;
    for (int64_t i = 0; i < ds.n * ds.d; i++) sum += ds.x8[i];
    for (int64_t i = 0; i < ds.n; i++)
        if (ds.y[i] < 0 || ds.y[i] >= ds.n_classes) lf_fuzz_fail("idx label out of range");
    (void)sum;
    lf_dataset_release(&ds);
}

static size_t split_at(const uint8_t *data, size_t size)
{
    size_t k = size >= 2 ? (size_t)data[0] | (size_t)data[1] << 8 : 0;
    return k > size - (size >= 2 ? 2 : size) ? size - (size >= 2 ? 2 : size) : k;
}

int lf_fuzz_idx(const uint8_t *data, size_t size)
{
    size_t k = split_at(data, size), off = size >= 2 ? 2 : size;
    const char *im = lf_fuzz_file(0, "images", data + off, k);
    const char *lb = lf_fuzz_file(1, "labels", data + off + k, size - off - k);
    read_pair(im, lb);
    return 0;
}
LF_FUZZ_ENTRY(idx)
