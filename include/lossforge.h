/* lossforge.h — the core public header of liblossforge: status, spec strings, tensors, the
 * autodiff tape, models, losses, optimizers, data, training and model files. Each learner has
 * its own header under lossforge/ (retrieval, fewshot, condense, adversarial, ensemble, oomd).
 *
 * A whole training run, as `lossforge train` does it:
 *
 *     #include <lossforge.h>
 *
 *     lf_dataset train = {0}, test = {0};
 *     if (lf_dataset_load("fashion-mnist", &train, &test) != LF_OK) {
 *         fprintf(stderr, "%s\n", lf_last_error());
 *         return 1;
 *     }
 *     lf_train_opts o;
 *     lf_train_opts_default(&o);
 *     o.model = "mlp:256,256";
 *     o.loss = "gce:q=0.7";             // any registered loss, by spec string
 *     o.optim = "lion:lr=1e-4,wd=1";    // likewise any optimizer
 *     o.epochs = 5;
 *     o.out_dir = "runs/x";             // metrics.jsonl, model.safetensors, curves.svg
 *     lf_train_result r;
 *     lf_status s = lf_train(&o, &train, &test, &r, NULL);
 *     printf("test accuracy %.2f%%\n", 100 * r.test_acc);
 *     lf_dataset_release(&train);
 *     lf_dataset_release(&test);
 *
 * One step by hand: lf_model_forward on a tape, lf_op_loss, lf_backward, lf_optim_step over
 * the parameter slab (lf_model_params). Conventions:
 *  - Every fallible function returns an lf_status; on failure lf_last_error() holds a
 *    thread-local message naming the file, line, field or value, and out-parameters are untouched.
 *  - Every *_new / *_create has one *_free, and *_free(NULL) is a no-op.
 *  - Storage is float32, row-major, contiguous; reductions accumulate in double.
 *  - The library never prints, exits or aborts on user errors.
 */
#ifndef LOSSFORGE_H
#define LOSSFORGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LF_VERSION "0.1.0"

/* ------------------------------------------------------------------ status */
typedef enum lf_status {
    LF_OK = 0,
    LF_EINVAL,    /* bad argument, spec string, shape or label */
    LF_ENOMEM,    /* allocation failed or a size overflowed */
    LF_EIO,       /* open/read/write/rename failed */
    LF_EFORMAT,   /* malformed or truncated file */
    LF_ENUMERIC,  /* NaN/Inf where a finite value is required */
    LF_ENOTFOUND  /* unknown name, missing file or dataset */
} lf_status;

const char *lf_last_error(void);          /* message of the last failure in this thread */
const char *lf_status_name(lf_status s);  /* "LF_EINVAL", ... */
/* Sets this thread's message (printf-style) and returns s, so callers write
 * `return lf_error(LF_EINVAL, "...")`. */
lf_status lf_error(lf_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Threads for elementwise passes (OpenMP) and for BLAS. 0 = library default. */
void lf_set_threads(int n);
int lf_get_threads(void);

/* The CPU kernel set the hot loops run on, "avx512", "avx2" or "baseline": the best this CPU
 * supports, chosen once per process; the environment variable LF_CPU=baseline|avx2|avx512 caps
 * it (LF_CPU=baseline for testing). lf_cpu_check_env fails with LF_EINVAL on another LF_CPU
 * value (which is then ignored). */
const char *lf_cpu_kernels(void);
lf_status lf_cpu_check_env(void);

/* ------------------------------------------------------------------ rng */
/* xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64. The whole state is the
 * struct, so copying it forks a stream and saving its 32 bytes resumes a run exactly. */
typedef struct lf_rng {
    uint64_t s[4];
} lf_rng;

void lf_rng_seed(lf_rng *r, uint64_t seed);
uint64_t lf_rng_u64(lf_rng *r);
double lf_rng_uniform(lf_rng *r);             /* [0, 1), 53 random bits */
double lf_rng_normal(lf_rng *r);              /* N(0,1), Box–Muller, no cached second value */
uint64_t lf_rng_below(lf_rng *r, uint64_t n); /* uniform in [0, n), unbiased (Lemire); n > 0 */
void lf_rng_permutation(lf_rng *r, int64_t *out, int64_t n); /* Fisher–Yates of 0..n-1 */
lf_rng lf_rng_fork(lf_rng *r);                /* an independent child stream */

/* ------------------------------------------------------------------ tensor */
#define LF_MAX_DIMS 4

/* Element types of arrays in files and optimizer state. LF_BF16: bfloat16 stored as uint16_t
 * (the top half of a float32); safetensors "BF16" only, .npy has no such type. */
typedef enum lf_dtype { LF_F32, LF_I32, LF_U8, LF_F64, LF_I64, LF_BF16 } lf_dtype;
size_t lf_dtype_size(lf_dtype t); /* bytes per element; 0 for an invalid value */

typedef struct lf_tensor {
    float *data;
    float *grad;           /* NULL until backward needs it (parameters: points into the grad slab) */
    int64_t shape[LF_MAX_DIMS];
    int ndim;
    int requires_grad;     /* gradients flow to (and through) this tensor */
    int64_t size;          /* product of shape */
    const char *name;      /* parameters only: safetensors key */
} lf_tensor;

/* Fills shape/size; fails with LF_EINVAL on ndim outside 1..4 or a non-positive dim. */
lf_status lf_tensor_shape(lf_tensor *t, int ndim, const int64_t *shape);
int lf_tensor_same_shape(const lf_tensor *a, const lf_tensor *b);

/* ------------------------------------------------------------------ params */
/* Named parameter tensors of a model, all views into one data slab and one grad slab, so an
 * optimizer step is one pass over `size` floats. */
typedef struct lf_params {
    lf_tensor *t;
    int n, cap;
    int64_t size;     /* total floats */
    float *data;      /* slab */
    float *grad;      /* slab */
    uint8_t *decay;   /* per tensor: 1 = weight decay applies (0 for biases by default) */
} lf_params;

/* Declare a tensor (before lf_params_alloc). Returns its index or -1 (error set). */
int lf_params_add(lf_params *p, const char *name, int ndim, const int64_t *shape, int decay);
lf_status lf_params_alloc(lf_params *p); /* allocates the slabs, zeroed, and points tensors in */
void lf_params_release(lf_params *p);    /* frees the slabs and names; p may be reused */
void lf_params_zero_grad(lf_params *p);
int lf_params_find(const lf_params *p, const char *name); /* index or -1 */

/* ------------------------------------------------------------------ registry & spec strings */
typedef enum lf_kind {
    LF_KIND_LOSS,
    LF_KIND_OPTIM,
    LF_KIND_SCHEDULE,
    LF_KIND_MODEL,
    LF_KIND_DATASET,
    LF_KIND_REPRO,
    LF_KIND_COUNT
} lf_kind;

typedef enum lf_ptype {
    LF_PT_FLOAT,   /* stored as double */
    LF_PT_INT,     /* stored as int64_t */
    LF_PT_BOOL,    /* stored as int; "0|1|true|false" */
    LF_PT_ENUM,    /* stored as int (index into `choices`, "a|b|c") */
    LF_PT_STR,     /* stored as char[LF_STR_MAX] */
    LF_PT_INTLIST  /* stored as lf_intlist; takes the positional values of a spec */
} lf_ptype;

#define LF_STR_MAX 512
#define LF_LIST_MAX 16

typedef struct lf_intlist {
    int n;
    int64_t v[LF_LIST_MAX];
} lf_intlist;

enum { LF_OPEN_MIN = 1, LF_OPEN_MAX = 2 }; /* lf_param_desc.flags: exclude the bound */

typedef struct lf_param_desc {
    const char *key;
    lf_ptype type;
    double def;          /* numeric default (FLOAT, INT, BOOL, ENUM index) */
    double min, max;     /* valid range for numbers (and list items) */
    int flags;           /* LF_OPEN_MIN | LF_OPEN_MAX */
    const char *choices; /* ENUM: "a|b|c"; STR/INTLIST: default text ("" if none) */
    const char *doc;
    size_t offset;       /* offsetof(config struct, field) */
} lf_param_desc;

typedef struct lf_desc {
    lf_kind kind;
    const char *name;
    const char *doc;           /* one line */
    const char *paper;         /* key into the papers table (lf_paper.key), or NULL for classics */
    const lf_param_desc *params;
    int nparams;
    size_t cfg_size;           /* size of the config struct the parser fills */
    const void *impl;          /* kind-specific vtable (internal) */
} lf_desc;

int lf_registry_count(void);
const lf_desc *lf_registry_at(int i);
const char *lf_kind_name(lf_kind k); /* "loss", "optimizer", ... */
/* Unknown names fail with LF_ENOTFOUND and a message listing the known names of that kind. */
lf_status lf_registry_find(lf_kind kind, const char *name, const lf_desc **out);

/* Parses "name:key=value,key=value" (positional values fill the INTLIST parameter) against the
 * descriptor's parameter table, in the C locale. cfg (desc->cfg_size bytes, allocated by the
 * caller, e.g. via lf_spec_new) receives defaults, then the given values. Errors name the
 * descriptor, the key and the valid keys or range. */
lf_status lf_spec_parse(lf_kind kind, const char *spec, const lf_desc **desc, void *cfg);
/* Allocating form: *cfg is malloc'd (free with free()). */
lf_status lf_spec_new(lf_kind kind, const char *spec, const lf_desc **desc, void **cfg);
/* Canonical form with every parameter (numbers as %.17g); parses back to the same cfg. */
lf_status lf_spec_canonical(const lf_desc *d, const void *cfg, char *buf, size_t cap);

/* ------------------------------------------------------------------ autodiff tape */
/* Define-by-run reverse mode. Every op appends a node; tensors are allocated in the tape's
 * arena and live until lf_tape_reset. Ops take and return lf_tensor*; a failing op records the
 * first error in the tape and returns NULL, and an op given a NULL input returns NULL, so a
 * forward pass is checked once at the end with lf_tape_status. */
typedef struct lf_tape lf_tape;

lf_tape *lf_tape_new(void);
void lf_tape_free(lf_tape *t);
void lf_tape_reset(lf_tape *t);           /* drops nodes and temporaries */
void lf_tape_set_train(lf_tape *t, int train, uint64_t seed); /* dropout on/off and its stream */
lf_rng *lf_tape_rng(lf_tape *t);
lf_status lf_tape_status(const lf_tape *t);

/* A tensor owned by the tape: data copied from `data` (or zeroed when NULL). */
lf_tensor *lf_tape_tensor(lf_tape *t, int ndim, const int64_t *shape, const float *data);
/* A view over caller memory (no copy); requires_grad = 0. */
lf_tensor *lf_tape_wrap(lf_tape *t, float *data, int ndim, const int64_t *shape);
/* Gradient buffer of x, zero-allocated in the arena on first use. */
float *lf_tensor_grad(lf_tape *t, lf_tensor *x);

/* Runs the tape backwards from a scalar (size 1) tensor, accumulating into every grad. */
lf_status lf_backward(lf_tape *t, lf_tensor *scalar);

/* Ops. Shapes: linear x[n,in] w[out,in] b[out] (b may be NULL) -> [n,out], y = x w^T + b. */
lf_tensor *lf_linear(lf_tape *t, lf_tensor *x, lf_tensor *w, lf_tensor *b);
lf_tensor *lf_add(lf_tape *t, lf_tensor *a, lf_tensor *b);   /* same shape */
lf_tensor *lf_mul(lf_tape *t, lf_tensor *a, lf_tensor *b);   /* same shape, elementwise */
lf_tensor *lf_scale(lf_tape *t, lf_tensor *a, float s);
lf_tensor *lf_relu(lf_tape *t, lf_tensor *x);
lf_tensor *lf_tanh(lf_tape *t, lf_tensor *x);
lf_tensor *lf_sigmoid(lf_tape *t, lf_tensor *x);
lf_tensor *lf_gelu(lf_tape *t, lf_tensor *x);                /* exact (erf) form, as torch */
lf_tensor *lf_softmax(lf_tape *t, lf_tensor *x);             /* over the last dim */
lf_tensor *lf_log_softmax(lf_tape *t, lf_tensor *x);         /* over the last dim */
lf_tensor *lf_sum(lf_tape *t, lf_tensor *x);                 /* -> scalar */
lf_tensor *lf_mean(lf_tape *t, lf_tensor *x);                /* -> scalar */
lf_tensor *lf_reshape(lf_tape *t, lf_tensor *x, int ndim, const int64_t *shape);
lf_tensor *lf_flatten(lf_tape *t, lf_tensor *x);             /* [n, ...] -> [n, rest] */
/* x[N,C,H,W], w[O,C,KH,KW], b[O] or NULL -> [N,O,OH,OW]; im2col + sgemm. */
lf_tensor *lf_conv2d(lf_tape *t, lf_tensor *x, lf_tensor *w, lf_tensor *b, int stride, int pad);
lf_tensor *lf_maxpool2d(lf_tape *t, lf_tensor *x, int k, int stride); /* no padding */
/* Inverted dropout with the tape's rng; identity when the tape is not in training mode. */
lf_tensor *lf_dropout(lf_tape *t, lf_tensor *x, float p);

/* ------------------------------------------------------------------ losses */
/* What a loss may read. pred is n×k (logits, scores with k=1, or embeddings). A loss declares
 * the fields it needs; a missing one is LF_EINVAL naming it. */
typedef struct lf_batch {
    const float *pred;
    int64_t n, k;
    const int32_t *label;   /* n class ids */
    const float *target;    /* n×k regression targets */
    const float *weight;    /* n sample weights */
    const int32_t *group;   /* n bag / episode ids */
    const uint8_t *event;   /* n: 1 = uncensored */
    const int64_t *index;   /* n dataset row ids (per-sample state) */
    /* n×n mined pairs for the embedding losses, row = anchor: LF_PAIR_POS / LF_PAIR_NEG bits
     * (lf_miner_mine writes them); NULL = every pair. A mask only restricts: a positive still
     * needs the same label and another row, a negative a different label. */
    const uint8_t *pairs;
} lf_batch;

enum { /* lf_loss_needs() bits */
    LF_NEED_LABEL = 1, LF_NEED_TARGET = 2, LF_NEED_WEIGHT = 4, LF_NEED_GROUP = 8,
    LF_NEED_EVENT = 16, LF_NEED_INDEX = 32,
    /* Not a field: the loss reads a binary problem as n×1 scores (labels 0/1; bce, anyloss,
     * ensloss, ...), so on two-class data lf_train builds a one-output model, and lf_evaluate
     * predicts class 1 where that score is > 0. */
    LF_LOSS_SCORES = 64,
    /* Not fields either: how a valid batch is laid out, for samplers and for the registry's
     * gradient check (tests/test_registry_loss.c), which builds its batches from these bits.
     * LF_LOSS_PAIRS: pred is n embeddings and label class ids compared across rows, so a batch
     * wants P classes × K >= 2 rows each (ms, contrastive, triplet). LF_LOSS_EPISODE: pred is one
     * N-way few-shot episode, group marks its support and query rows (LF_EPISODE_*) and every
     * query's label has support rows (protonet, proto-triplet, icnn). */
    LF_LOSS_PAIRS = 128,
    LF_LOSS_EPISODE = 256
};

typedef struct lf_loss lf_loss;
lf_status lf_loss_create(const char *spec, lf_loss **out);
void lf_loss_free(lf_loss *l);
/* Value and d value / d pred (n×k, overwritten; may be NULL) in one fused pass. */
lf_status lf_loss_eval(lf_loss *l, const lf_batch *b, double *value, float *dpred);
unsigned lf_loss_needs(const lf_loss *l);
const lf_desc *lf_loss_desc(const lf_loss *l);
const char *lf_loss_spec(const lf_loss *l); /* canonical */
/* The loss as a tape op: pred fills b->pred/n/k; returns a scalar tensor. */
lf_tensor *lf_op_loss(lf_tape *t, lf_loss *l, lf_tensor *pred, const lf_batch *b);

/* Per-sample state kept across epochs by some losses (ALDR-KL's lambda_i), indexed by the
 * dataset row ids in lf_batch.index. lf_loss_bind sizes it for rows [0, n_rows) and resets it
 * to its initial values (lf_train calls it with the training set's row count); a no-op for
 * losses without such state. lf_loss_state gives its float buffers for checkpoints, as
 * lf_optim_state does: i in [0, lf_loss_state_count), stable safetensors names, *n floats
 * (0 before bind); writing saved values back into the buffer after bind restores it. */
lf_status lf_loss_bind(lf_loss *l, int64_t n_rows);
int lf_loss_state_count(const lf_loss *l);
float *lf_loss_state(lf_loss *l, int i, const char **name, int64_t *n); /* NULL if out of range */


/* ------------------------------------------------------------------ optimizers & schedules */
typedef struct lf_optim lf_optim;
/* An optimizer over `n` floats; `decay_mask` (n bytes, may be NULL = all) selects where weight
 * decay applies and is copied. */
lf_status lf_optim_create(const char *spec, int64_t n, const uint8_t *decay_mask, lf_optim **out);
void lf_optim_free(lf_optim *o);
/* One fused pass: w -= update(g). lr = base lr (from the spec) * lr_scale. */
lf_status lf_optim_step(lf_optim *o, float *w, const float *g, double lr_scale);
double lf_optim_lr(const lf_optim *o);        /* base learning rate */
int64_t lf_optim_steps(const lf_optim *o);    /* steps taken */
size_t lf_optim_state_bytes(const lf_optim *o);
const char *lf_optim_spec(const lf_optim *o); /* canonical */
const lf_desc *lf_optim_desc(const lf_optim *o);
/* State buffers for save/load: i in [0, count). Names are stable safetensors keys. */
int lf_optim_state_count(const lf_optim *o);
/* A float32 state buffer; NULL when i is out of range or the buffer has another element type
 * (e.g. Lion's mu_dtype=bf16 momentum): checkpoints should use lf_optim_state_raw. */
float *lf_optim_state(lf_optim *o, int i, const char **name, int64_t *n);
/* Any state buffer as raw memory: *n elements of *dtype (LF_F32 or LF_BF16), n *
 * lf_dtype_size(dtype) bytes. Saving these bytes and copying them back into a fresh optimizer
 * of the same spec (with lf_optim_set_steps) resumes bit-identically. NULL when out of range. */
void *lf_optim_state_raw(lf_optim *o, int i, const char **name, int64_t *n, lf_dtype *dtype);
void lf_optim_set_steps(lf_optim *o, int64_t steps);
/* Tells the optimizer where the parameter tensors lie in its n floats: tensor k is
 * [offsets[k], offsets[k+1]), with offsets[0] = 0 < ... < offsets[nseg] = n (nseg + 1 values,
 * copied). Optimizers with per-tensor reductions (lionk's l2, lp and relativistic kappas
 * normalise per tensor) use them; the others ignore them. Without this call the whole slab is
 * one tensor. lf_train sets them from the model's parameters. */
lf_status lf_optim_set_segments(lf_optim *o, const int64_t *offsets, int nseg);

typedef struct lf_schedule lf_schedule;
lf_status lf_schedule_create(const char *spec, lf_schedule **out);
void lf_schedule_free(lf_schedule *s);
/* Multiplier of the base lr at step (0-based) of total_steps. */
double lf_schedule_at(const lf_schedule *s, int64_t step, int64_t total_steps);
const char *lf_schedule_spec(const lf_schedule *s);

/* ------------------------------------------------------------------ models */
typedef struct lf_model lf_model;
/* in_shape: per-sample shape, e.g. {1,28,28} or {784}; n_out: outputs (classes).
 * Parameters are initialised as PyTorch does by default, from `seed`. */
lf_status lf_model_create(const char *spec, int in_ndim, const int64_t *in_shape, int64_t n_out,
                          uint64_t seed, lf_model **out);
void lf_model_free(lf_model *m);
/* x: [batch, in_shape...]; returns [batch, n_out] logits. Dropout follows the tape's mode. */
lf_tensor *lf_model_forward(lf_model *m, lf_tape *t, lf_tensor *x);
lf_params *lf_model_params(lf_model *m);
const char *lf_model_spec(const lf_model *m); /* canonical */
int lf_model_in_ndim(const lf_model *m);
const int64_t *lf_model_in_shape(const lf_model *m);
int64_t lf_model_n_out(const lf_model *m);

/* ------------------------------------------------------------------ data */
typedef struct lf_dataset {
    int64_t n;                 /* rows */
    int64_t d;                 /* features per row (product of shape) */
    int ndim;                  /* per-sample shape, e.g. {1,28,28} or {d} */
    int64_t shape[3];
    float *x;                  /* n×d features, or NULL when they are stored as bytes in x8 */
    uint8_t *x8;               /* n×d pixels standing for x = x8 / 255 (a quarter of the memory) */
    int32_t *y;                /* n labels in [0, n_classes), or NULL */
    int32_t n_classes;
    char name[128];
} lf_dataset;

void lf_dataset_release(lf_dataset *ds); /* frees x, x8 and y; zeroes the struct */

/* The input standardisation of a model: x' = (x - mean[j]) / std[j] for feature j of d. mean and
 * std share one allocation (std = mean + d), which lf_norm_release frees. Wherever a function
 * takes `const lf_norm *norm`, NULL means raw inputs. */
typedef struct lf_norm {
    float *mean, *std;
    int64_t d;
} lf_norm;
/* The standardisation of rows[0..nrows) of ds (rows NULL = every row of ds): one scalar mean and
 * std over all features for images (ndim 3, as torchvision's Normalize), repeated d times; per
 * feature otherwise (std of a constant feature taken as 1). out is untouched on failure. */
lf_status lf_norm_fit(const lf_dataset *ds, const int64_t *rows, int64_t nrows, lf_norm *out);
/* Room for d means and d stds (not initialised). */
lf_status lf_norm_alloc(lf_norm *norm, int64_t d);
void lf_norm_release(lf_norm *norm); /* frees and zeroes; NULL is a no-op */
/* Row i as floats (converting bytes), then standardised with norm (may be NULL). */
void lf_dataset_row(const lf_dataset *ds, int64_t i, const lf_norm *norm, float *out);
/* Checks labels in range and features finite; errors name the row and column. */
lf_status lf_dataset_validate(const lf_dataset *ds);
/* Copies rows idx[0..m) of src into dst. */
lf_status lf_dataset_subset(const lf_dataset *src, const int64_t *idx, int64_t m, lf_dataset *dst);
/* Seeded shuffle, then the last round(frac*n) rows go to val. */
lf_status lf_dataset_split(const lf_dataset *src, double frac, uint64_t seed, lf_dataset *train,
                           lf_dataset *val);
/* Synthetic label noise, for training labels only (src/data/noise.c). Exactly round(rate*n)
 * rows, picked with a seeded partial shuffle, get a noisy label:
 *   LF_NOISE_SYM      uniform over the C-1 OTHER classes: the rate is the fraction of wrong
 *                     labels ("sym:0.4" makes exactly 40% wrong);
 *   LF_NOISE_UNIFORM  uniform over all C classes, its own included (the other convention some
 *                     papers use): about rate*(C-1)/C of the labels end up wrong;
 *   LF_NOISE_PAIR     pair flip c -> (c+1) mod C (asymmetric, class-dependent).
 * *flipped (may be NULL) receives the number of labels that changed. Labels must lie in
 * [0, n_classes); rate in [0, 1]; C >= 2 unless nothing is picked. */
typedef enum lf_noise_kind { LF_NOISE_SYM, LF_NOISE_UNIFORM, LF_NOISE_PAIR } lf_noise_kind;
lf_status lf_label_noise(int32_t *y, int64_t n, int32_t n_classes, lf_noise_kind kind,
                         double rate, uint64_t seed, int64_t *flipped);
/* "sym:0.4", "uniform:0.2", "pair:0.4" -> kind and rate; errors name the kind or the rate. */
lf_status lf_noise_parse(const char *spec, lf_noise_kind *kind, double *rate);
/* lf_noise_parse then lf_label_noise on ds->y with ds->n_classes. */
lf_status lf_dataset_label_noise(lf_dataset *ds, const char *spec, uint64_t seed,
                                 int64_t *flipped);

/* Readers. Every size and count is checked against the file length before allocation. */
lf_status lf_read_idx(const char *images_path, const char *labels_path, lf_dataset *out);
typedef struct lf_csv_opts {
    int header;        /* 1: first line is a header */
    int label_col;     /* column index of the label; -1 = last; -2 = no label */
    char delim;        /* ',' by default when 0 */
} lf_csv_opts;
lf_status lf_read_csv(const char *path, const lf_csv_opts *o, lf_dataset *out);
/* n_features 0 = the largest index seen. Labels are mapped to 0..C-1 in sorted order; for
 * binary files {-1,+1} become {0,1}. */
lf_status lf_read_libsvm(const char *path, int64_t n_features, lf_dataset *out);

typedef struct lf_npy {
    lf_dtype dtype;
    int ndim;
    int64_t shape[LF_MAX_DIMS];
    int64_t count;
    void *data;   /* malloc'd, native little-endian, C order */
} lf_npy;
lf_status lf_npy_read(const char *path, lf_npy *out);
void lf_npy_release(lf_npy *a);
/* Atomic write (temp file, fsync, rename). */
lf_status lf_npy_write(const char *path, lf_dtype dtype, int ndim, const int64_t *shape,
                       const void *data);

/* Named datasets from the registry: "fashion-mnist", "csv:train=a.csv,test=b.csv,label=-1", ...
 * test may come back empty (n = 0) when the dataset has no test split. */
lf_status lf_dataset_load(const char *spec, lf_dataset *train, lf_dataset *test);

/* ------------------------------------------------------------------ model files */
/* Model files: weights, the input standardisation (norm.mean, norm.std: d floats each) and
 * "__metadata__" {format, model spec, in_shape, n_out}. Load fills *norm with the
 * standardisation (lf_norm_release frees it; norm may be NULL to skip). */
lf_status lf_model_save(const lf_model *m, const lf_norm *norm, const char *path);
lf_status lf_model_load(const char *path, lf_model **out, lf_norm *norm);

/* ------------------------------------------------------------------ training */
struct lf_epoch_stats;

typedef struct lf_train_opts {
    const char *model, *loss, *optim, *schedule; /* spec strings */
    int epochs;
    int64_t batch;
    uint64_t seed;
    int threads;
    double val_split;         /* fraction of train held out */
    const char *out_dir;      /* NULL: write nothing */
    int progress;             /* 0 none, 1 plain lines, 2 tty bar */
    double clip_norm;         /* > 0: rescale the gradient to this global L2 norm when above */
    int decay_bias;           /* 1: weight decay on every tensor, biases too (default 0: the
                               * tensors a model declares exempt, its biases, get none) */
    /* Called after each epoch's metrics (may be NULL): model, the input standardisation and
     * the epoch's stats. A status other than LF_OK stops training with it. */
    lf_status (*on_epoch)(void *user, lf_model *m, const lf_norm *norm,
                          const struct lf_epoch_stats *e);
    void *user;
    const char *data;         /* dataset spec, recorded in checkpoints for --resume (may be NULL) */
    int64_t checkpoint_every; /* > 0: write out_dir/checkpoint.safetensors every this many steps */
    const char *resume;       /* checkpoint file to continue from (NULL: start afresh) */
    int on_nan;               /* non-finite loss or gradient: LF_ON_NAN_STOP or LF_ON_NAN_SKIP */
} lf_train_opts;

/* lf_train_opts.on_nan. STOP (default): fail with LF_ENUMERIC naming the step, the batch and the
 * first non-finite tensor, before the update, so the last model file and checkpoint stay the
 * last good ones. SKIP: leave the parameters as they were and go on with the next batch. */
enum { LF_ON_NAN_STOP, LF_ON_NAN_SKIP };

typedef struct lf_epoch_stats {
    int epoch;
    double train_loss, train_acc, val_loss, val_acc, test_loss, test_acc; /* NaN when absent */
    double lr, seconds, samples_per_s;
} lf_epoch_stats;

typedef struct lf_train_result {
    double test_acc, test_loss;
    double seconds;
    int epochs_done;
    lf_epoch_stats last;
    int64_t skipped_batches;  /* LF_ON_NAN_SKIP: batches whose update was skipped */
} lf_train_result;

void lf_train_opts_default(lf_train_opts *o);
/* Trains on `train` (standardised inside with train moments), evaluates on `test` if n > 0,
 * writes metrics.jsonl, model.safetensors and curves.svg to out_dir. *model_out (may be NULL)
 * receives the trained model. */
lf_status lf_train(const lf_train_opts *o, const lf_dataset *train, const lf_dataset *test,
                   lf_train_result *res, lf_model **model_out);

/* Accuracy and mean loss (loss may be NULL) of a model on rows[0..nrows) of a dataset (rows
 * NULL = all), standardised with norm (may be NULL); confusion (C×C, may be NULL;
 * C = n_out, or 2 for a one-output model, whose class is 1 where its score is > 0)
 * counts [true][pred]. */
lf_status lf_evaluate(lf_model *m, lf_loss *loss, const lf_dataset *ds, const int64_t *rows,
                      int64_t nrows, const lf_norm *norm, int64_t batch, double *acc,
                      double *mean_loss, int64_t *confusion);

/* ------------------------------------------------------------------ checkpoints */
/* lf_train with checkpoint_every = N writes <out_dir>/checkpoint.safetensors after every N-th
 * step: parameters, optimizer state and step count, the trainer's rng, the data-order position
 * (epoch, offset), the finished epochs' stats, the canonical specs and options; atomically
 * (temp file, fsync, rename, fsync of the directory) and CRC-checked (data section and
 * options). It is also a model file (lf_model_load reads it). lf_train with resume = that path
 * continues the run, and with the same data and thread count ends bit-identical to a run never
 * interrupted; a checkpoint of another run, other options or other data is refused. */
typedef struct lf_checkpoint_info {
    char model[1024], loss[1024], optim[1024], schedule[1024]; /* specs as the run was given
                               * them (the checkpoint also checks their canonical forms) */
    char data[4096];          /* dataset spec as given to the run ("" when none was) */
    int epochs;
    int64_t batch;
    uint64_t seed;
    int threads;              /* threads of the checkpointed run */
    double val_split, clip_norm;
    int64_t checkpoint_every;
    int on_nan;
    int decay_bias;
    int64_t step;             /* steps taken */
    int epoch;                /* epoch in progress */
} lf_checkpoint_info;
/* Reads and checks a checkpoint's options and position (not its tensors' fit to a model). */
lf_status lf_checkpoint_read_info(const char *path, lf_checkpoint_info *out);
/* Sets o's training options from ci (strings point into ci) and o->resume is left alone. */
void lf_checkpoint_train_opts(const lf_checkpoint_info *ci, lf_train_opts *o);

#ifdef __cplusplus
}
#endif
#endif
