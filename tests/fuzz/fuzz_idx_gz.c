/* IDX reader through the gzip path: the same layout as fuzz_idx, each file gzip-compressed
 * before it is written, so the IDX structure behind the decompressor gets fuzzed. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzip (RFC 1952) of src via deflate with a gzip wrapper; aborts on failure. */
static const char *gz_file(int slot, const char *tag, const uint8_t *src, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    uLong cap = deflateBound(&z, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    if (!out) abort();
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    const char *path = lf_fuzz_file(slot, tag, out, z.total_out);
    deflateEnd(&z);
    free(out);
    return path;
}

int lf_fuzz_idx_gz(const uint8_t *data, size_t size)
{
    size_t off = size >= 2 ? 2 : size;
    size_t k = size >= 2 ? (size_t)data[0] | (size_t)data[1] << 8 : 0;
    if (k > size - off) k = size - off;
    const char *im = gz_file(0, "images.gz", data + off, k);
    const char *lb = gz_file(1, "labels.gz", data + off + k, size - off - k);
    lf_dataset ds;
    if (lf_read_idx(im, lb, &ds) == LF_OK) lf_dataset_release(&ds);
    return 0;
}
LF_FUZZ_ENTRY(idx_gz)
