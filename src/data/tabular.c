/* Small real tabular datasets by name: breast-cancer, pima, sonar, ionosphere (binary, minority
 * class = 1), wine, iris, digits. CSV files exported from Debian packages and committed under
 * data/tabular/ (see its README for sources and licences), read from the source tree or dir=.
 * They have no test split: experiments make folds (lf_stratified_kfold). */
#include "internal.h"

#include <stddef.h>
#include <string.h>

#define TABULAR_DIR LF_SOURCE_DIR "/data/tabular"

typedef struct tab_cfg {
    char dir[LF_STR_MAX];
} tab_cfg;

typedef struct tab_info {
    const char *name, *file;
    int32_t classes;  /* what the file must hold: a check that it is the file we exported */
} tab_info;

static lf_status tab_load(const tab_info *t, const tab_cfg *c, lf_dataset *train,
                          lf_dataset *test)
{
    char path[LF_STR_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", c->dir, t->file);
    const lf_csv_opts o = {.header = 1, .label_col = -1, .delim = ','};
    lf_dataset ds;
    lf_status s = lf_read_csv(path, &o, &ds);
    if (s == LF_ENOTFOUND || s == LF_EIO) {
        char why[1024]; /* lf_last_error's buffer is the one lf_error writes */
        snprintf(why, sizeof why, "%s", lf_last_error());
        return lf_error(s, "dataset \"%s\": %s (the CSV files live in data/tabular/ of the source "
                        "tree; pass %s:dir=DIR for another copy)", t->name, why, t->name);
    }
    if (s != LF_OK) return s;
    if (ds.n_classes != t->classes) {
        s = lf_error(LF_EFORMAT, "dataset \"%s\": %s has %d classes, expected %d", t->name, path,
                     (int)ds.n_classes, (int)t->classes);
        lf_dataset_release(&ds);
        return s;
    }
    snprintf(ds.name, sizeof ds.name, "%s", t->name);
    memset(test, 0, sizeof *test);
    *train = ds;
    return LF_OK;
}

static const lf_param_desc tab_params[] = {
    LF_PARAM_STR("dir", TABULAR_DIR, "directory holding the exported CSV file", tab_cfg, dir),
};

/* One registered dataset: its file, its load entry point, its descriptor. */
#define TABULAR(id, NAME, FILE, CLASSES, DOC)                                                  \
    static const tab_info id##_info = {NAME, FILE, CLASSES};                                   \
    static lf_status id##_load(const void *cfg, lf_dataset *train, lf_dataset *test)           \
    {                                                                                          \
        return tab_load(&id##_info, cfg, train, test);                                         \
    }                                                                                          \
    static const lf_dataset_vt id##_vt = {id##_load};                                          \
    const lf_desc lf_desc_data_##id = {LF_KIND_DATASET, NAME, DOC, NULL, tab_params,            \
                                       LF_NPARAMS(tab_params), sizeof(tab_cfg), &id##_vt};

TABULAR(breast_cancer, "breast-cancer", "breast_cancer.csv", 2,
        "Wisconsin diagnostic breast cancer: 569 rows, 30 features, malignant = 1 (212)")
TABULAR(pima, "pima", "pima.csv", 2,
        "Pima Indians diabetes: 768 rows, 8 features, diabetic = 1 (268)")
TABULAR(sonar, "sonar", "sonar.csv", 2, "sonar mines vs rocks: 208 rows, 60 features, rock = 1 (97)")
TABULAR(ionosphere, "ionosphere", "ionosphere.csv", 2,
        "Johns Hopkins ionosphere radar: 351 rows, 34 features, bad = 1 (126)")
TABULAR(wine, "wine", "wine.csv", 3, "UCI wine: 178 rows, 13 features, 3 cultivars")
TABULAR(iris, "iris", "iris.csv", 3, "Fisher's iris: 150 rows, 4 features, 3 species")
TABULAR(digits, "digits", "digits.csv", 10, "UCI optical digits (sklearn): 1797 8x8 images, 10 classes")
