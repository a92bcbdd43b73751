/* Helpers shared by the dataset readers (private to src/data). A reader file holds its parser
 * and the descriptor of the dataset it loads (lf_desc_data_*, listed in LF_REGISTRY). */
#ifndef LF_DATA_READER_H
#define LF_DATA_READER_H

#include "internal.h"

#include <locale.h>

/* The most classes a dataset may hold (class ids 0..LF_MAX_CLASSES-1): a model's output layer
 * is sized by the class count, so one stray label of 10^8 must not become gigabytes. Files whose
 * labels are class ids as stored (npy) are further bounded by their rows: the largest id must be
 * below max(LF_CLASSES_PER_ROW x rows, LF_CLASSES_FREE). */
#define LF_MAX_CLASSES ((int64_t)1 << 20)
#define LF_CLASSES_PER_ROW 16
#define LF_CLASSES_FREE 1024
/* The most cells (rows x features, 4 bytes each: 4 GiB) a dense table read from a sparse file
 * may hold. */
#define LF_MAX_DENSE_CELLS ((int64_t)1 << 30)

/* LF_OK when a class id `label` of a file of `rows` rows is within the bounds above; else
 * LF_EFORMAT naming path, row and label. */
lf_status lf_ds_check_class_id(const char *path, int64_t row, int64_t label, int64_t rows);

/* Allocates ds->x (n×d floats, zeroed) and, when `labels`, ds->y (n); sets n, d and the flat
 * shape {d}. `what` names the source in the ENOMEM message. ds is zeroed first. */
lf_status lf_ds_alloc(lf_dataset *ds, int64_t n, int64_t d, int labels, const char *what);
/* Same with ds->x8 (n×d bytes) instead of ds->x. */
lf_status lf_ds_alloc_bytes(lf_dataset *ds, int64_t n, int64_t d, int labels, const char *what);

/* Maps the raw labels of tr (and of te, when not NULL) jointly to 0..C-1 in sorted order of
 * the distinct values, so a train and a test file agree on the class ids; allocates y and sets
 * n_classes of both. */
lf_status lf_ds_set_labels(lf_dataset *tr, const int64_t *raw_tr, lf_dataset *te,
                           const int64_t *raw_te);
/* A file read raw (ds, raw labels; raw may be NULL: no labels) as one dataset: labels mapped by
 * lf_ds_set_labels, raw freed, ds moved to *out, or released on failure. */
lf_status lf_ds_finish(lf_dataset *ds, int64_t *raw, lf_dataset *out);

/* Text readers before label mapping: out gets x (and y = NULL); *raw the n raw labels
 * (malloc'd; NULL when the CSV has no label column). */
lf_status lf_csv_read_raw(const char *path, const lf_csv_opts *o, lf_dataset *out, int64_t **raw);
lf_status lf_libsvm_read_raw(const char *path, int64_t n_features, lf_dataset *out,
                             int64_t **raw);

/* For the descriptors of the text readers (csv, libsvm): a raw reader with its options, the
 * pair loader that reads train (and test when test_path is not "") and maps their labels
 * jointly, and the "train= is required" check. */
typedef lf_status (*lf_raw_reader)(const char *path, const void *opts, lf_dataset *out,
                                   int64_t **raw);
lf_status lf_ds_load_pair(lf_raw_reader rd, const void *opts, const char *train_path,
                          const char *test_path, lf_dataset *train, lf_dataset *test);
lf_status lf_ds_need_train(const char *name, const char *train);

/* Line cursor over a NUL-terminated text buffer; lines exclude "\n" / "\r\n". */
typedef struct lf_lines {
    const char *p, *end;
    int64_t lineno; /* 1-based number of the line last returned */
} lf_lines;
void lf_lines_init(lf_lines *it, const char *text, size_t n);
int lf_lines_next(lf_lines *it, const char **b, const char **e); /* 0 at the end */
int lf_is_blank(const char *b, const char *e);                   /* only spaces/tabs */

/* Parses [b, e) (surrounding blanks allowed) as one number, to the double strtod gives (plain
 * decimals take an exact fast path). The byte at e must not continue a number (a delimiter,
 * blank, newline or the buffer's NUL). 1 on success. */
int lf_parse_number(const char *b, const char *e, double *v);
/* Same, and the value must be an integer with |v| <= 2^53. */
int lf_parse_label(const char *b, const char *e, int64_t *v);

/* strtod in the C locale for the duration of a parse, whatever the program's locale. */
typedef struct lf_c_numeric {
    locale_t c, old;
} lf_c_numeric;
void lf_c_numeric_begin(lf_c_numeric *l);
void lf_c_numeric_end(lf_c_numeric *l);

#endif
