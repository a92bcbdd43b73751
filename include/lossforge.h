/* lossforge.h — the one public header of liblossforge.
 *
 * Conventions (see README.md):
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

/* ------------------------------------------------------------------ arena */
/* Bump allocator for per-step temporaries. After the first steps it settles on one block,
 * so a steady training step does no malloc. */
typedef struct lf_arena lf_arena;
lf_arena *lf_arena_new(size_t initial_bytes);
void lf_arena_free(lf_arena *a);
void *lf_arena_alloc(lf_arena *a, size_t bytes); /* 64-byte aligned; NULL on ENOMEM */
void *lf_arena_calloc(lf_arena *a, size_t bytes);
void lf_arena_reset(lf_arena *a);
size_t lf_arena_used(const lf_arena *a);

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

/* Parameter rows by type, each field named, so no default hides in another field's slot (a
 * string's default in `choices`). flags: LF_OPEN_MIN | LF_OPEN_MAX. */
#define LF_PARAM_FLOAT(k, d, lo, hi, fl, text, cfg_type, field)                                \
    {.key = (k), .type = LF_PT_FLOAT, .def = (d), .min = (lo), .max = (hi), .flags = (fl),     \
     .doc = (text), .offset = offsetof(cfg_type, field)}
#define LF_PARAM_INT(k, d, lo, hi, text, cfg_type, field)                                      \
    {.key = (k), .type = LF_PT_INT, .def = (d), .min = (lo), .max = (hi), .doc = (text),       \
     .offset = offsetof(cfg_type, field)}
#define LF_PARAM_BOOL(k, d, text, cfg_type, field)                                             \
    {.key = (k), .type = LF_PT_BOOL, .def = (d), .doc = (text), .offset = offsetof(cfg_type, field)}
/* d: the index of the default in choices ("a|b|c"). */
#define LF_PARAM_ENUM(k, d, ch, text, cfg_type, field)                                         \
    {.key = (k), .type = LF_PT_ENUM, .def = (d), .choices = (ch), .doc = (text),               \
     .offset = offsetof(cfg_type, field)}
#define LF_PARAM_STR(k, d, text, cfg_type, field)                                              \
    {.key = (k), .type = LF_PT_STR, .choices = (d), .doc = (text),                             \
     .offset = offsetof(cfg_type, field)}
/* d: the default list as text ("256,256"); lo, hi: the range of each item. */
#define LF_PARAM_INTLIST(k, d, lo, hi, text, cfg_type, field)                                  \
    {.key = (k), .type = LF_PT_INTLIST, .min = (lo), .max = (hi), .choices = (d),              \
     .doc = (text), .offset = offsetof(cfg_type, field)}

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

/* ------------------------------------------------------------------ papers */
typedef struct lf_paper {
    const char *key;     /* short id used by descriptors, e.g. "lion" */
    const char *title;
    const char *authors;
    int year;
    const char *arxiv;   /* "2302.06675" or "" */
    const char *repro;   /* suggested experiment name(s) */
} lf_paper;

int lf_paper_count(void);
const lf_paper *lf_paper_at(int i);
const lf_paper *lf_paper_find(const char *key); /* NULL if unknown */

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
lf_arena *lf_tape_arena(lf_tape *t);

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
    LF_LOSS_SCORES = 64
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

/* ------------------------------------------------------------------ embedding losses, miners */
/* The embedding losses (ms, contrastive, triplet; protonet, proto-triplet, icnn) read pred as n
 * embeddings of k dimensions and label as class ids (any int32). The pair losses compare every
 * row with every other through one n×n matrix (sgemm); the few-shot losses read one episode:
 * group[i] says whether row i is a support or a query row, prototypes are the means of the
 * support rows of each label. A loss object keeps a workspace grown to the largest batch seen,
 * so a steady step does no malloc and one object must not be evaluated by two threads at once.
 * No mined pair, no positive or a collapsed batch gives a finite value and a finite gradient
 * (0 and 0 where nothing is mined), never NaN. */
enum { LF_PAIR_POS = 1, LF_PAIR_NEG = 2 };                  /* lf_batch.pairs bits */
enum { LF_EPISODE_SUPPORT = 0, LF_EPISODE_QUERY = 1 };      /* lf_batch.group of an episode */

/* A miner selects the pairs an embedding loss sees (pytorch-metric-learning's
 * loss(emb, labels, miner(emb, labels))). Specs: "ms-miner:eps=0.1,distance=cosine" (Wang et
 * al. 2019). Miners are not in the registry; lf_miner_desc gives the parameter table. */
typedef struct lf_miner lf_miner;
lf_status lf_miner_create(const char *spec, lf_miner **out);
void lf_miner_free(lf_miner *m);
/* Reads b->pred (n×k embeddings), b->label and, when set, b->pairs (to mine within); writes
 * the n×n mask (row = anchor) to pairs and the pair counts to n_pos / n_neg (may be NULL). */
lf_status lf_miner_mine(lf_miner *m, const lf_batch *b, uint8_t *pairs, int64_t *n_pos,
                        int64_t *n_neg);
const char *lf_miner_spec(const lf_miner *m); /* canonical */
const lf_desc *lf_miner_desc(const lf_miner *m);
/* Parameter tables of the known miners, i in [0, count); NULL past the end. */
int lf_miner_count(void);
const lf_desc *lf_miner_at(int i);
/* Per-sample state kept across epochs by some losses (ALDR-KL's lambda_i), indexed by the
 * dataset row ids in lf_batch.index. lf_loss_bind sizes it for rows [0, n_rows) and resets it
 * to its initial values (lf_train calls it with the training set's row count); a no-op for
 * losses without such state. lf_loss_state gives its float buffers for checkpoints, as
 * lf_optim_state does: i in [0, lf_loss_state_count), stable safetensors names, *n floats
 * (0 before bind); writing saved values back into the buffer after bind restores it. */
lf_status lf_loss_bind(lf_loss *l, int64_t n_rows);
int lf_loss_state_count(const lf_loss *l);
float *lf_loss_state(lf_loss *l, int i, const char **name, int64_t *n); /* NULL if out of range */

/* EnsLoss (loss "ensloss", Dai 2025) on given standard-normal draws e[n]: the deterministic core
 * the loss runs on every call with draws from its own seeded stream (see src/loss/ensloss.c).
 * score: n scores; label: n labels 0/1. value: the surrogate mean_i g_i z_i (only its gradient
 * means something); dscore (n, may be NULL): g_i (2y_i - 1) / n with the drawn, sorted, clipped
 * and tail-scaled derivatives g held constant. */
lf_status lf_ensloss_eval(const float *score, const int32_t *label, int64_t n, double lambda,
                          const double *draws, double *value, float *dscore);

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
/* Row i as floats (converting bytes), then standardised with norm = {mean[d], std[d]} when
 * norm != NULL. */
void lf_dataset_row(const lf_dataset *ds, int64_t i, const float *norm, float *out);
/* Checks labels in range and features finite; errors name the row and column. */
lf_status lf_dataset_validate(const lf_dataset *ds);
/* Copies rows idx[0..m) of src into dst. */
lf_status lf_dataset_subset(const lf_dataset *src, const int64_t *idx, int64_t m, lf_dataset *dst);
/* Seeded shuffle, then the last round(frac*n) rows go to val. */
lf_status lf_dataset_split(const lf_dataset *src, double frac, uint64_t seed, lf_dataset *train,
                           lf_dataset *val);
/* Stratified k-fold (src/data/folds.c): fold[i] in [0, k) for each of n labels y (>= 0). Each
 * class's rows are shuffled (seeded) and dealt to the folds in turn, the turn carrying over from
 * one class to the next, so every fold holds floor or ceil of n_c / k rows of each class c and
 * fold sizes differ by at most one. Needs 2 <= k <= n. */
lf_status lf_stratified_kfold(const int32_t *y, int64_t n, int k, uint64_t seed, int32_t *fold);
/* Rows of fold f (test) and of the other folds (train), each in increasing order; train and test
 * have room for n rows; the counts go to *n_train and *n_test. */
void lf_fold_rows(const int32_t *fold, int64_t n, int f, int64_t *train, int64_t *n_train,
                  int64_t *test, int64_t *n_test);
/* Class subsampling to an imbalance ratio. Of rows[0..m) (NULL = rows 0..m-1) of labels y, keeps
 * every row whose label is not `minority` and a seeded random round(n_other / ratio) (>= 1) of
 * the rows labelled `minority`, so others : minority = ratio : 1; when that class has fewer rows,
 * keeps all of them and thins the others to round(n_minority * ratio) instead. Writes the kept
 * rows in increasing order to out (room for m) and their count to *n_out. */
lf_status lf_subsample_ratio(const int32_t *y, const int64_t *rows, int64_t m, int32_t minority,
                             double ratio, uint64_t seed, int64_t *out, int64_t *n_out);
/* Binary one-vs-rest copy of rows idx[0..m) of src (idx NULL = every row): label 1 where src's
 * label is `positive`, else 0; n_classes = 2. */
lf_status lf_dataset_one_vs_rest(const lf_dataset *src, int32_t positive, const int64_t *idx,
                                 int64_t m, lf_dataset *dst);
/* Per-feature mean and std (std of a constant feature taken as 1) from ds, d floats each. */
lf_status lf_dataset_moments(const lf_dataset *ds, float *mean, float *std);
/* In place; byte-stored features are converted to floats first (x8 freed). */
lf_status lf_dataset_standardize(lf_dataset *ds, const float *mean, const float *std);
/* Scalar (all-feature) mean/std: the usual normalisation for images. */
void lf_dataset_scalar_moments(const lf_dataset *ds, float *mean, float *std);

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

/* ------------------------------------------------------------------ class splits, samplers */
/* Disjoint class splits for metric and few-shot learning: a seeded shuffle of 0..n_classes-1,
 * the first n_first go to first[], the rest to second[] (each sorted ascending; second may be
 * NULL). */
lf_status lf_class_split(int32_t n_classes, int32_t n_first, uint64_t seed, int32_t *first,
                         int32_t *second);
/* The rows (ascending, malloc'd into *rows, *m of them) whose label is one of classes[0..nc). */
lf_status lf_rows_of_classes(const int32_t *y, int64_t n, const int32_t *classes, int nc,
                             int64_t **rows, int64_t *m);

/* Class-balanced batches over a class subset: each class's rows are kept in a list, and draws
 * come from the sampler's own seeded stream. */
typedef struct lf_sampler lf_sampler;
/* y: labels of n rows; rows (may be NULL = 0..n-1): the rows to draw from; classes (may be NULL
 * = every label present among them): the class subset. Classes without rows are an error. */
lf_status lf_sampler_create(const int32_t *y, int64_t n, const int64_t *rows, int64_t nrows,
                            const int32_t *classes, int nc, uint64_t seed, lf_sampler **out);
void lf_sampler_free(lf_sampler *s);
int lf_sampler_classes(const lf_sampler *s);          /* classes in the subset */
int64_t lf_sampler_min_class_rows(const lf_sampler *s);
/* P×K batch: p distinct classes, k rows of each, written class after class to rows[p*k] (dataset
 * row ids). A class with fewer than k rows is drawn with replacement, otherwise without. */
lf_status lf_sampler_pk(lf_sampler *s, int p, int k, int64_t *rows);
/* Episode (N-way K-shot Q-query): n_way distinct classes, then k_shot + q_query distinct rows
 * of each. rows[n_way*(k_shot+q_query)]: the n_way*k_shot support rows (class after class),
 * then the n_way*q_query query rows (likewise). label (may be NULL): the episode's class
 * 0..n_way-1 of each row; group (may be NULL): LF_EPISODE_SUPPORT / LF_EPISODE_QUERY, the
 * layout the few-shot losses read. Classes with fewer than k_shot + q_query rows are an error. */
lf_status lf_sampler_episode(lf_sampler *s, int n_way, int k_shot, int q_query, int64_t *rows,
                             int32_t *label, int32_t *group);

/* ------------------------------------------------------------------ io */
/* safetensors: 8-byte little-endian header length, JSON header, raw little-endian data. */
typedef struct lf_st_entry {
    const char *name;
    lf_dtype dtype;
    int ndim;
    int64_t shape[LF_MAX_DIMS];
    const void *data;
} lf_st_entry;
/* Atomic write; meta is n_meta key/value pairs for "__metadata__" (may be 0). */
lf_status lf_st_write(const char *path, const lf_st_entry *e, int n, const char *const *meta_kv,
                      int n_meta);
/* As lf_st_write, plus metadata "crc32": the zlib CRC-32 of the data section as 8 lowercase hex
 * digits. lf_st_read verifies it whenever a file carries one (LF_EFORMAT on a mismatch). */
lf_status lf_st_write_crc(const char *path, const lf_st_entry *e, int n,
                          const char *const *meta_kv, int n_meta);
typedef struct lf_st lf_st;
lf_status lf_st_read(const char *path, lf_st **out);
void lf_st_free(lf_st *s);
int lf_st_count(const lf_st *s);
const lf_st_entry *lf_st_at(const lf_st *s, int i);
const lf_st_entry *lf_st_get(const lf_st *s, const char *name); /* NULL if absent */
const char *lf_st_meta(const lf_st *s, const char *key);        /* NULL if absent */

/* Atomic whole-file write: tmp file in the same directory, fsync, rename, fsync dir. */
lf_status lf_write_atomic(const char *path, const void *data, size_t n);

/* Curves plot: up to 6 series over a shared x axis, in one or two panels side by side. */
typedef struct lf_series {
    const char *label;
    const double *y;
    int panel;          /* 0 = left, 1 = right */
    int color;          /* 1..6 picks a palette colour (same split, same colour); 0 = by order */
} lf_series;
/* What the figure says: every text the caller knows better than the plotter. */
typedef struct lf_plot {
    const char *title;     /* wrapped to the figure's width */
    const char *xlabel;    /* "epoch", "step", "T", ... */
    const char *panel[2];  /* panel titles ("loss", "regret", "recall@1", ...) */
    const char *ylabel[2]; /* y axis label with its unit ("accuracy (%)"); NULL: none */
    int logy[2];           /* 1: log10 y axis for that panel */
} lf_plot;
lf_status lf_plot_svg(const char *path, const lf_plot *p, const double *x, int npts,
                      const lf_series *s, int nseries);

/* Progress bar: a redrawn line on a TTY, plain periodic lines otherwise. */
typedef struct lf_progress {
    int tty;
    int64_t total;
    double t0, last_print;
    int64_t last_done;  /* done count of the last line printed (non-TTY: 10% steps) */
    char prefix[64];
} lf_progress;
void lf_progress_begin(lf_progress *p, const char *prefix, int64_t total, int tty);
void lf_progress_update(lf_progress *p, int64_t done, const char *fmt, ...);
void lf_progress_end(lf_progress *p, const char *fmt, ...);
double lf_now(void); /* monotonic seconds */

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
    /* Called after each epoch's metrics (may be NULL): model, the input standardisation
     * (2*d floats) and the epoch's stats. A status other than LF_OK stops training with it. */
    lf_status (*on_epoch)(void *user, lf_model *m, const float *norm, const struct lf_epoch_stats *e);
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
 * NULL = all), standardised with norm (2*d floats, may be NULL); confusion (C×C, may be NULL;
 * C = n_out, or 2 for a one-output model, whose class is 1 where its score is > 0)
 * counts [true][pred]. */
lf_status lf_evaluate(lf_model *m, lf_loss *loss, const lf_dataset *ds, const int64_t *rows,
                      int64_t nrows, const float *norm, int64_t batch, double *acc,
                      double *mean_loss, int64_t *confusion);

/* ------------------------------------------------------------------ embeddings, retrieval */
/* The outputs of a model (its n_out values per row) for rows[0..nrows) of ds (rows NULL = all),
 * standardised with norm (2*d floats, may be NULL), in batches: out is nrows × n_out. */
lf_status lf_embed_rows(lf_model *m, const lf_dataset *ds, const int64_t *rows, int64_t nrows,
                        const float *norm, int64_t batch, float *out);

typedef enum lf_metric {
    LF_METRIC_COSINE,    /* cosine similarity: rows L2-normalised, larger = nearer */
    LF_METRIC_EUCLIDEAN  /* Euclidean distance, smaller = nearer */
} lf_metric;

/* Exact k nearest neighbours of nq queries among nk keys (d dims each), scores through sgemm one
 * block of queries against all keys at a time: memory stays at block × nk floats, never nq × nk.
 * self_offset >= 0: query i is key self_offset + i, and that key is skipped (by index, so
 * duplicates still count); -1: no query is a key. idx (nq × k): nearest first, ties broken by
 * the smaller index; score (nq × k, may be NULL): similarity or distance. k <= keys available. */
lf_status lf_knn(const float *query, int64_t nq, const float *keys, int64_t nk, int64_t d, int k,
                 lf_metric metric, int64_t self_offset, int64_t *idx, float *score);

/* k-means with k-means++ seeding (Arthur & Vassilvitskii 2007) from seed, then Lloyd iterations
 * until no assignment changes or `iters` passes; squared Euclidean distances through sgemm.
 * assign: n cluster ids; centroids (k × d, may be NULL). An emptied cluster takes the point
 * farthest from its centroid. */
lf_status lf_kmeans(const float *x, int64_t n, int64_t d, int k, int iters, uint64_t seed,
                    int32_t *assign, float *centroids);
/* Normalised mutual information of two labelings, MI / ((H(a) + H(b)) / 2), natural logs, as
 * scikit-learn's normalized_mutual_info_score: 1 when both are one cluster, 0 when MI = 0. */
double lf_nmi(const int32_t *a, const int32_t *b, int64_t n);

/* Retrieval quality of embeddings with every row as a query against all the others. */
typedef struct lf_retrieval {
    double recall[4]; /* Recall@1, 2, 4, 8: fraction of queries with a same-class row among
                       * their K nearest (Wang et al. 2019's Recall@K) */
    double map_at_r;  /* mAP@R (Musgrave et al. 2020): R = same-class rows besides the query;
                       * mean over queries of (1/R) sum_{i<=R} precision@i * [i-th is a match] */
    double nmi;       /* NMI of k-means (k = classes, seeded) against the labels; NAN unless
                       * requested */
} lf_retrieval;
extern const int lf_recall_k[4]; /* 1, 2, 4, 8 */
/* emb: n × d, y: n labels. with_nmi: also cluster (k-means++, 100 Lloyd passes at most). */
lf_status lf_retrieval_eval(const float *emb, const int32_t *y, int64_t n, int64_t d,
                            lf_metric metric, int with_nmi, uint64_t seed, lf_retrieval *out);

/* Training an embedding model (a model whose n_out outputs are the embedding) with an embedding
 * loss on class-balanced P×K batches, or on episodes for the few-shot losses. */
typedef struct lf_embed_opts {
    const char *model, *loss, *optim, *schedule; /* specs; schedule NULL = constant */
    const char *miner;       /* NULL or "": every pair; else e.g. "ms-miner:eps=0.1" */
    int64_t dim;             /* embedding dimension = the model's n_out */
    int p, k;                /* P×K batches: p classes × k rows */
    int way, shot, query;    /* way > 0: episodes (group = support/query) instead of P×K */
    int64_t steps;           /* optimisation steps */
    uint64_t seed;           /* init, batches, dropout */
    int threads, progress;   /* progress: 0 none, 1 plain lines, 2 tty bar */
    double clip_norm;        /* > 0: clip the global gradient norm */
    const int32_t *classes;  /* training classes (NULL = every label of train) */
    int n_classes;
    const char *out_dir;     /* NULL: nothing written; else model.safetensors */
    /* Called after every `every` steps and after the last one (may be NULL): the model so far,
     * the standardisation (2*d floats), the steps done and the mean batch loss since the last
     * call. A status other than LF_OK stops training with it. */
    lf_status (*on_step)(void *user, lf_model *m, const float *norm, int64_t step, double loss);
    int64_t every;
    void *user;
} lf_embed_opts;

typedef struct lf_embed_result {
    double first_loss, last_loss; /* mean loss over the first / last 10% of steps */
    double mined_pairs;           /* mean mined (pos + neg) pairs per batch; NAN without a miner */
    double seconds;
} lf_embed_result;

/* mlp:256, ms:..., adamw:lr=1e-3, P×K 8×4, 1000 steps, seed 1, dim 64, no miner. */
void lf_embed_opts_default(lf_embed_opts *o);
/* Trains on the rows of train whose label is in o->classes (standardised with their moments:
 * one scalar for images). *model_out (may be NULL) receives the model and *norm_out (may be
 * NULL) the standardisation (2*d floats, malloc'd) to pass to lf_embed_rows. */
lf_status lf_train_embedding(const lf_embed_opts *o, const lf_dataset *train, lf_embed_result *res,
                             lf_model **model_out, float **norm_out);

/* ------------------------------------------------------------------ few-shot */
/* Episodic few-shot learning (src/learn/fewshot.c). Meta-training is lf_train_embedding with
 * way/shot/query set and an episode loss (protonet, proto-triplet, icnn); evaluation follows
 * Snell et al. 2017 and the SuSana authors' code (maumruiz/FSL-Loss): N-way K-shot episodes of
 * held-out classes, each query given the class of the nearest prototype (squared Euclidean
 * distance to the mean of that class's support embeddings), accuracy per episode. */

/* "5way1shot" or "5way5shot:q=15" -> way, shot and queries per class (default 15). */
lf_status lf_episodic_parse(const char *spec, int *way, int *shot, int *query);

/* Mean, standard deviation (ddof 0, as np.std in the authors' compute_confidence_interval) and
 * the half-width of the normal 95% confidence interval 1.96 sd / sqrt(n) of x[0..n), n >= 1. */
void lf_mean_ci95(const double *x, int64_t n, double *mean, double *sd, double *ci95);

typedef struct lf_fewshot_result {
    double mean, sd, ci95; /* accuracy over episodes, as lf_mean_ci95 */
    int64_t episodes;
} lf_fewshot_result;

/* Accuracy of m's embeddings on `episodes` way-shot-query episodes drawn (seeded) from the rows
 * of ds whose label is in classes[0..nc) (NULL = every class), standardised with norm (2*d
 * floats, may be NULL). Each row is embedded once; acc (may be NULL) receives every episode's
 * accuracy. */
lf_status lf_fewshot_eval(lf_model *m, const float *norm, const lf_dataset *ds,
                          const int32_t *classes, int nc, int way, int shot, int query,
                          int64_t episodes, uint64_t seed, lf_fewshot_result *out, double *acc);

/* ------------------------------------------------------------------ dataset condensation */
/* Gradient-matching dataset condensation (src/algo/condense.c): DC (Zhao, Mopuri, Bilen 2021)
 * and DCC (Lee et al. 2022). A synthetic set S of `ipc` images per class is learned so that a
 * network's gradient on S matches its gradient on real data, over many fresh initialisations.
 *   DC:  min_S sum_c D(grad CE(theta; S_c), grad CE(theta; T_c)), class by class;
 *   DCC: min_S D(grad CE(theta; S), (1/C) sum_c grad CE(theta; T_c)), one CE over all of S
 *        against the class-averaged real gradient (the contrastive signal between classes).
 * D is the layer-wise distance of lf_grad_match_distance. The gradient of D with respect to
 * the images, d/dS <v, grad_theta CE(theta; S)> with v = dD / d grad, is a Hessian-vector
 * product; the first-order tape gives it by central differences,
 *   (grad_S CE(theta + e v; S) - grad_S CE(theta - e v; S)) / 2e,   e = fd_eps / ||v||. */

/* The layer-wise distance of DC's code (distance_wb): every parameter tensor of p with two or
 * more dimensions is viewed as rows (out, rest) and contributes
 *   sum_rows 1 - <a_r, b_r> / (||a_r|| ||b_r|| + 1e-6);
 * one-dimensional tensors (biases) contribute 0. ga, gb: p->size floats laid out as p's slab.
 * dga (may be NULL, p->size floats, overwritten): d D / d ga. */
double lf_grad_match_distance(const lf_params *p, const float *ga, const float *gb, float *dga);

typedef enum lf_condense_method { LF_CONDENSE_DC, LF_CONDENSE_DCC } lf_condense_method;

/* One image update's matching objective and its gradient with respect to the synthetic images,
 * at m's current parameters. xs: n_classes * ipc synthetic rows as the model sees them,
 * class-major (rows c*ipc .. c*ipc+ipc-1 are class c); xr: n_classes * n_real real rows, the
 * same way. DCC sums over classes with the class-wise (DC) loss instead when `classwise` is set
 * (the bi-level warm-up). dxs (n_classes * ipc * d floats, may be NULL): the central-difference
 * gradient. The parameters come back bit-identical; their gradient slab is overwritten. */
lf_status lf_condense_match(lf_model *m, lf_condense_method method, int n_classes,
                            const float *xs, int64_t ipc, const float *xr, int64_t n_real,
                            double fd_eps, double *value, float *dxs);

typedef struct lf_condense_opts {
    const char *model;        /* the network the gradients are matched on */
    lf_condense_method method;
    int ipc;                  /* synthetic images per class */
    int outer;                /* outer iterations, each from a fresh network initialisation */
    int inner;                /* image updates per outer iteration; 0 = get_loops(ipc) */
    int net_steps;            /* network SGD steps on S between image updates; -1 = get_loops */
    int batch_real;           /* real images per class in each match */
    double lr_img, momentum_img; /* SGD on the images (DC: 0.1, 0.5) */
    double lr_net;            /* SGD on the network (DC: 0.01) */
    int outer_warmup, inner_warmup; /* DCC: class-wise DC while outer < ow and inner < iw */
    double fd_eps;            /* central-difference step, as a norm of the parameter move */
    int init_noise;           /* 0: start from random real images (DC); 1: from N(0, 1) */
    uint64_t seed;
    int threads;
    int progress;             /* 0 none, 1 plain lines, 2 tty bar */
    double *curve;            /* NULL or `outer` doubles: mean matching loss per outer iteration */
    /* Called (may be NULL) with the synthetic set so far, as lf_condense returns it, before the
     * first outer iteration (done = 0) and after every `every` of them and the last; a status
     * other than LF_OK stops condensation with it. */
    lf_status (*on_outer)(void *user, int done, const lf_dataset *syn);
    int every;
    void *user;
} lf_condense_opts;

/* DC defaults: mlp:128, ipc 1, 100 outer iterations, get_loops, 64 real images per class,
 * lr_img 0.1, momentum 0.5, lr_net 0.01, warm-up outer/4 and inner 10, fd_eps 0.01, seed 1. */
void lf_condense_opts_default(lf_condense_opts *o);
/* get_loops(ipc) of the DCC code: (inner, net_steps) = (10, 5) for ipc 1, (10, 50) for ipc 10,
 * (50, 10) for ipc 50; between those the nearest. */
void lf_condense_loops(int ipc, int *inner, int *net_steps);

typedef struct lf_condense_result {
    double first_match, last_match; /* mean matching loss of the first / last outer iteration */
    double seconds;
} lf_condense_result;

/* Learns n_classes * ipc synthetic images from train (standardised inside with its scalar
 * moments for images, per-feature ones otherwise). syn receives them in train's raw units (x as
 * floats, class-major labels, train's shape and class count); release with lf_dataset_release. */
lf_status lf_condense(const lf_condense_opts *o, const lf_dataset *train, lf_dataset *syn,
                      lf_condense_result *res);

/* Trains `models` fresh networks of spec `model` on syn (seeds seed .. seed+models-1; optim
 * spec, `epochs` full passes in batches of 256, cosine schedule; lf_train standardises with
 * syn's own moments) and scores each on test: acc (models doubles, may be NULL), their mean
 * and sd (ddof 1; 0 for one model). */
lf_status lf_condense_evaluate(const lf_dataset *syn, const lf_dataset *test, const char *model,
                               const char *optim, int epochs, int models, uint64_t seed,
                               double *acc, double *mean, double *sd);

/* Writes the images x (n × h × w, row-major) as an SVG grid of `cols` columns, grey levels
 * mapped from [lo, hi] (clamped) in 16 steps, one path per level with runs of equal pixels
 * merged, and downsampled by 2 (or more) when the grid would exceed ~20000 pixels, so the file
 * stays small. labels (n strings, may be NULL) go under the images. */
lf_status lf_image_grid_svg(const char *path, const char *title, const float *x, int64_t n,
                            int64_t h, int64_t w, int cols, float lo, float hi,
                            const char *const *labels);

/* ------------------------------------------------------------------ adversarial */
/* Projected gradient descent attack (Madry et al. 2018) and adversarial accuracy. The attack
 * acts on raw inputs: pixels in [0, 1] for datasets stored as bytes (images; eps = 0.1 is a
 * tenth of the pixel range), the features as loaded otherwise; it is clamped to the valid range
 * after every step, and the model keeps seeing standardised inputs. */
typedef enum lf_attack_norm { LF_ATTACK_LINF, LF_ATTACK_L2 } lf_attack_norm;
typedef enum lf_attack_start {
    LF_START_UNIFORM, /* uniform in the ball (Madry et al.) */
    LF_START_NONE,    /* from the clean input */
    LF_START_SMALL    /* clean + 0.001 N(0, 1) (TRADES) */
} lf_attack_start;

typedef struct lf_attack {
    double eps;            /* radius of the ball around the clean input, raw units */
    int steps;             /* ascent steps */
    double step_size;      /* raw units per step; 0 = 2.5 eps / steps (Madry et al.) */
    lf_attack_norm norm;   /* linf: sign steps, box projection; l2: normalised steps, ball */
    lf_attack_start start;
    float lo, hi;          /* valid raw range; -inf, inf for none */
} lf_attack;

/* "pgd:eps=0.1,steps=10,step_size=0,norm=linf|l2,start=uniform|none|small" (these are the
 * defaults); lo, hi come back unbounded. */
lf_status lf_attack_parse(const char *spec, lf_attack *out);
/* The valid raw range of a dataset's features: [0, 1] when stored as bytes (pixels), else
 * unbounded. */
void lf_attack_range(const lf_dataset *ds, float *lo, float *hi);
/* PGD ascent on the cross-entropy (sum over the rows) of m: x, n rows as the model sees them
 * (standardised with norm = 2*d floats: mean, std; NULL = raw), is replaced by its adversarial
 * version; y holds their labels, rng draws the random start. The parameters' gradients are left
 * untouched. */
lf_status lf_pgd_attack(lf_model *m, const float *norm, float *x, const int32_t *y, int64_t n,
                        const lf_attack *a, lf_rng *rng);
/* Clean and PGD accuracy on rows[0..nrows) (rows NULL = all) of ds, the attack clamped to
 * lf_attack_range(ds) whatever a->lo/hi say, its random starts drawn from seed. Outputs may be
 * NULL. */
lf_status lf_evaluate_attack(lf_model *m, const lf_dataset *ds, const int64_t *rows,
                             int64_t nrows, const float *norm, const lf_attack *a, int64_t batch,
                             uint64_t seed, double *clean_acc, double *adv_acc);

/* Model files: weights, the input standardisation (norm.mean, norm.std: d floats each, passed
 * as one array of 2*d) and "__metadata__" {format, model spec, in_shape, n_out}. Load returns
 * the standardisation malloc'd in *norm_mean_std (may be NULL to skip). */
lf_status lf_model_save(const lf_model *m, const float *norm_mean_std, const char *path);
lf_status lf_model_load(const char *path, lf_model **out, float **norm_mean_std);

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

/* ------------------------------------------------------------------ ensembles, calibration */
/* SGLD needs the training-set size N (its parameter n_data). For an "sgld" spec that leaves
 * n_data unset, writes the canonical spec with n_data = n; any other spec comes back in
 * canonical form unchanged. */
lf_status lf_sgld_spec_fill(const char *spec, int64_t n, char *buf, size_t cap);

/* Accuracy, negative log-likelihood and expected calibration error of class probabilities. */
typedef struct lf_calib {
    double acc; /* argmax of the row (first max wins) equals the label */
    double nll; /* mean of -log p[label], p clamped below at 1e-300 */
    double ece; /* sum over bins b of |B_b|/n * |accuracy(B_b) - mean confidence(B_b)| */
} lf_calib;

#define LF_ECE_BINS 15 /* the usual choice (Guo et al. 2017) */
/* prob: n×k rows of probabilities, used as given. The confidence of a row is its largest p;
 * `bins` equal-width bins split [0, 1], bin i holding confidences in (i/bins, (i+1)/bins] (a
 * confidence of exactly 0 falls in bin 0). */
lf_status lf_calibration(const double *prob, const int32_t *y, int64_t n, int64_t k, int bins,
                         lf_calib *out);
/* Adds weight * softmax(model(x)) for every row of ds (standardised with norm, 2*d floats, may
 * be NULL) to prob (ds->n × n_out doubles): averaging probabilities over models is repeated
 * calls with weight 1/M. */
lf_status lf_predict_proba_add(lf_model *m, const lf_dataset *ds, const float *norm,
                               double weight, double *prob);

typedef enum lf_ensemble_kind {
    LF_ENSEMBLE_SGLD, /* M snapshots of one run (posterior samples when the optimizer is sgld) */
    LF_ENSEMBLE_DEEP  /* M independent runs, seeds seed .. seed+M-1 */
} lf_ensemble_kind;

typedef struct lf_ensemble_opts {
    int members;           /* M >= 1 */
    lf_ensemble_kind kind;
    int burn_in;           /* SGLD: epochs before sampling; -1 = epochs - members*thin */
    int thin;              /* SGLD: epochs between samples, >= 1; samples are taken at the end of
                            * epochs burn_in + thin, burn_in + 2*thin, ..., which must end at
                            * the last epoch: epochs = burn_in + members*thin */
} lf_ensemble_opts;

typedef struct lf_ensemble_result {
    lf_calib single;   /* deep: the first member (seed); SGLD: the last sample (the final model) */
    lf_calib ensemble; /* probabilities averaged over the members */
    lf_calib member_mean; /* each member's own metrics, averaged over the members */
    int members;
    double seconds;
} lf_ensemble_result;

/* Trains an ensemble with the options of o and scores it on test (which must have rows). An
 * "sgld" optimizer without n_data gets the number of training rows (after --val-split). With
 * out_dir set: SGLD writes the run's files there plus sample-<j>.safetensors per sample; deep
 * writes each member's files to <out_dir>/member-<i>; both write ensemble.json. o->on_epoch,
 * if set, is called first at every epoch. */
lf_status lf_train_ensemble(const lf_train_opts *o, const lf_ensemble_opts *e,
                            const lf_dataset *train, const lf_dataset *test,
                            lf_ensemble_result *res);

/* ------------------------------------------------------------------ online convex optimisation */
/* Optimistic online mirror descent (Chen et al. 2023, after Rakhlin & Sridharan 2013). Each
 * round t the learner plays x_t, then is told g_t = grad f_t(x_t):
 *   x_t      = argmin_{x in X} eta_t <M_t, x> + B(x, xh_t)
 *   xh_{t+1} = argmin_{x in X} eta_t <g_t, x> + B(x, xh_t)
 * with hint M_t = g_{t-1} (optimistic; M_1 = 0) or M_t = 0 (plain OGD / Hedge), xh_1 the centre
 * of X. Euclidean on the l2 ball {||x|| <= R} (B = ||x-y||^2/2, steps are projected gradient
 * steps); entropic on the probability simplex (B = KL, steps are multiplicative weights). */
typedef enum lf_oomd_domain { LF_OOMD_BALL, LF_OOMD_SIMPLEX } lf_oomd_domain;

typedef enum lf_oomd_rule {
    LF_OOMD_CONSTANT, /* eta_t = eta */
    LF_OOMD_SQRT,     /* eta_t = eta / sqrt(t): the classic OGD step */
    LF_OOMD_ADAPTIVE, /* eta_t = min(D / sqrt(delta + sum_{s<t} ||g_s - M_s||_*^2), 1/(4L)) */
    LF_OOMD_STRONG    /* eta_t = 2 / (lambda t), for lambda-strongly convex losses */
} lf_oomd_rule;

typedef struct lf_oomd_opts {
    lf_oomd_domain domain;
    int optimistic;     /* 1: M_t = g_{t-1}; 0: M_t = 0 */
    lf_oomd_rule rule;
    double eta;         /* CONSTANT, SQRT */
    double radius;      /* BALL: R > 0 */
    double lipschitz;   /* ADAPTIVE: smoothness L of the losses, caps eta at 1/(4L); 0 = no cap */
    double delta;       /* ADAPTIVE: > 0; 0 = D^2 L^2 (or D^2 when L = 0) */
    double lambda;      /* STRONG: the modulus */
} lf_oomd_opts;
/* D is the diameter 2R on the ball (norm ||.||_2) and sqrt(ln d) on the simplex (||.||_inf). */

/* Ball of radius 1, optimistic, adaptive rule, L = 0, delta = 0 (default), eta = 1, lambda = 1. */
void lf_oomd_opts_default(lf_oomd_opts *o);
typedef struct lf_oomd lf_oomd;
/* Checks the options (errors name the field) and sets up round 1 in d dimensions. */
lf_status lf_oomd_create(int64_t d, const lf_oomd_opts *o, lf_oomd **out);
void lf_oomd_free(lf_oomd *l);
const double *lf_oomd_play(const lf_oomd *l); /* x_t, d values, valid until the next update */
/* Feeds g_t = grad f_t(x_t) (d values, finite) and moves to round t+1. */
lf_status lf_oomd_update(lf_oomd *l, const double *g);
double lf_oomd_eta(const lf_oomd *l);    /* eta_t of the current round */
int64_t lf_oomd_round(const lf_oomd *l); /* t, from 1 */

#ifdef __cplusplus
}
#endif
#endif
