/* Internal declarations shared by the library's source files (not installed). */
#ifndef LF_INTERNAL_H
#define LF_INTERNAL_H

#include "lossforge.h"
#include "lossforge/adversarial.h"
#include "lossforge/condense.h"
#include "lossforge/crossval.h"
#include "lossforge/ensemble.h"
#include "lossforge/fewshot.h"
#include "lossforge/oomd.h"
#include "lossforge/retrieval.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* For bugs only (broken internal invariants), never for user input. */
#define LF_ASSERT(c) assert(c)
#define LF_UNUSED(x) ((void)(x))
#if defined(__GNUC__)
#define LF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LF_PRINTF(fmt, args)
#endif

/* a*b (and a*b*c) for sizes, failing on overflow. */
int lf_mul_overflows(int64_t a, int64_t b, int64_t *out);

/* ------------------------------------------------------------------ registry */
/* The one list of every descriptor. Adding a method = one file defining
 * `const lf_desc lf_desc_<id>` + one line here. */
/* Keep one X(id) per line, in kind order: losses, optimizers, schedules, models, datasets
 * (experiments have their own list, LF_XP_REGISTRY in src/repro/xp.h). The registry's static_assert counts them. */
#define LF_REGISTRY(X) \
    X(loss_ce) \
    X(loss_mse) \
    X(loss_ms) \
    X(loss_contrastive) \
    X(loss_triplet) \
    X(loss_protonet) \
    X(loss_proto_triplet) \
    X(loss_icnn) \
    X(loss_compsum) \
    X(loss_gce) \
    X(loss_mae) \
    X(loss_sumexp) \
    X(loss_advcompsum) \
    X(loss_pgdat) \
    X(loss_bce) \
    X(loss_hinge) \
    X(loss_sqhinge) \
    X(loss_exp) \
    X(loss_focal) \
    X(loss_anyloss) \
    X(loss_ensloss) \
    X(loss_ldr) \
    X(loss_aldr) \
    X(optim_sgd) \
    X(optim_adamw) \
    X(optim_lion) \
    X(optim_lionk) \
    X(optim_sgld) \
    X(optim_ogd) \
    X(optim_oadam) \
    X(sched_constant) \
    X(sched_cosine) \
    X(sched_linear) \
    X(sched_polynomial) \
    X(sched_cyclical) \
    X(model_mlp) \
    X(model_convnet) \
    X(data_fashion_mnist) \
    X(data_csv) \
    X(data_libsvm) \
    X(data_npy) \
    X(data_breast_cancer) \
    X(data_pima) \
    X(data_sonar) \
    X(data_ionosphere) \
    X(data_wine) \
    X(data_iris) \
    X(data_digits) \
    /* end of list */

#define LF_DECLARE_DESC(id) extern const lf_desc lf_desc_##id;
LF_REGISTRY(LF_DECLARE_DESC)
#undef LF_DECLARE_DESC

#define LF_NPARAMS(tbl) ((int)(sizeof(tbl) / sizeof((tbl)[0])))

/* Parses the items of a spec (the part after "name:"; NULL = none) against d into cfg
 * (d->cfg_size bytes): defaults first, then the items. For callers that already hold the
 * descriptor; lf_spec_parse resolves the name first. */
lf_status lf_spec_parse_args(const lf_desc *d, const char *args, void *cfg);

/* ------------------------------------------------------------------ vtables */
/* What a loss's training objective may use beyond the logits (lf_loss_vt.objective). */
typedef struct lf_objective_in {
    lf_model *model;
    lf_tape *tape;          /* the training step's tape, holding x and logits */
    lf_tensor *x, *logits;  /* the batch as the model sees it (standardised) and its logits */
    const lf_batch *batch;  /* labels, weights, ... (pred, n, k come from logits) */
    const lf_norm *norm;    /* the input standardisation */
    const lf_dataset *data; /* the dataset the rows come from (its valid range) */
} lf_objective_in;

typedef struct lf_loss_vt {
    unsigned needs;                                     /* LF_NEED_* */
    /* Optional: per-instance state (rng, per-sample weights). */
    lf_status (*init)(const void *cfg, void **state);
    void (*free_state)(void *state);
    /* Checks what the batch alone cannot: shapes, label range. May be NULL. */
    lf_status (*check)(const void *cfg, const lf_batch *b);
    lf_status (*eval)(const void *cfg, void *state, const lf_batch *b, double *value,
                      float *dpred);
    /* Optional: the training objective when it needs the model, not just the logits
     * (adversarial losses run it on perturbed inputs). NULL: lf_op_loss on the logits. */
    lf_tensor *(*objective)(const void *cfg, void *state, const lf_objective_in *in);
    /* Optional, for per-sample state indexed by lf_batch.index (ALDR-KL's lambda_i): size it
     * for dataset rows [0, n_rows) and reset it (lf_loss_bind), and expose its float buffers
     * for checkpoints (lf_loss_state_count / lf_loss_state). */
    lf_status (*bind)(const void *cfg, void *state, int64_t n_rows);
    int (*state_count)(const void *state);
    float *(*state_at)(void *state, int i, const char **name, int64_t *n);
} lf_loss_vt;

struct lf_loss {
    const lf_desc *desc;
    void *cfg;
    void *state;
    char spec[1024];
};

/* The scalar a training step minimises: the loss's objective hook when it has one, else
 * lf_op_loss on in->logits (src/loss/loss.c). */
lf_tensor *lf_loss_objective(lf_loss *l, const lf_objective_in *in);

/* Optimizer step over n floats. state: nstate buffers of n floats (zeroed at create).
 * t: 1-based step number. decay: NULL or n bytes (1 = decay applies). */
typedef struct lf_optim_vt {
    int nstate;
    const char *const *state_names;
    double (*base_lr)(const void *cfg);
    lf_status (*check)(const void *cfg);  /* cross-parameter checks; may be NULL */
    void (*step)(const void *cfg, float *w, const float *g, float *const *state,
                 const uint8_t *decay, int64_t n, int64_t t, double lr);
    /* Optional: element type of state buffer i (NULL = every buffer LF_F32). An LF_BF16 buffer
     * holds uint16_t bfloat16 values behind its float pointer (Lion's mu_dtype=bf16). */
    lf_dtype (*state_dtype)(const void *cfg, int i);
    /* Optional, replaces step: the same step told the parameter-tensor boundaries, for updates
     * that need a per-tensor reduction (Lion-kappa's l2 / lp norms). seg[0] = 0 < ... <
     * seg[nseg] = n (lf_optim_set_segments; one segment when never set). */
    void (*step_seg)(const void *cfg, float *w, const float *g, float *const *state,
                     const uint8_t *decay, const int64_t *seg, int nseg, int64_t t, double lr);
} lf_optim_vt;

/* Weight-decay modes shared by adamw, lion and lionk (parameter wd_mode), since libraries
 * disagree (spec sheet §8): decoupled = w *= 1 - lr*wd (PyTorch AdamW, the Lion paper, optax),
 * fixed = w *= 1 - wd (kozistr fixed_decay), l2 = g += wd*w before the moments (classic L2;
 * wrong for Lion, whose sign() then sees the decay: bitsandbytes#1992). */
enum { LF_WD_DECOUPLED, LF_WD_FIXED, LF_WD_L2 };
#define LF_WD_MODE_PARAM(cfg_type, field)                                                      \
    LF_PARAM_ENUM("wd_mode", LF_WD_DECOUPLED, "decoupled|fixed|l2",                              \
                  "decoupled: w *= 1 - lr*wd; fixed: w *= 1 - wd; l2: g += wd*w (not for Lion)", \
                  cfg_type, field)
/* The decay step s in w += s*w (where the mask is 1): -lr*wd (decoupled), -wd (fixed), 0 (l2).
 * Kernels use w + (mask*s)*w, not w*(1 - lr*wd) as torch does: 1 - lr*wd rounded to float
 * keeps only ~6e-8 of absolute precision, so for lr*wd = 1e-5 the decay (and Lion's box radius
 * 1/wd) would be off by 0.6%; s itself is exact to float rounding. */
float lf_wd_shrink(int mode, double wd, double lr);
/* What l2 mode adds to the gradient per unit of weight: wd in l2 mode, else 0. */
float lf_wd_grad(int mode, double wd);
/* cfg check: fixed mode needs wd <= 1 (w *= 1 - wd must not flip signs). */
lf_status lf_wd_check(const char *optim, int mode, double wd);

typedef struct lf_schedule_vt {
    double (*at)(const void *cfg, int64_t step, int64_t total);
} lf_schedule_vt;

struct lf_model {
    const lf_desc *desc;
    void *cfg;
    lf_params params;
    int in_ndim;
    int64_t in_shape[3];
    int64_t n_out;
    void *impl;
    char spec[1024];
};

/* lf_model_create failing with LF_EFORMAT, before allocating, when the spec asks for more than
 * max_params parameters: a model file cannot make the loader allocate more than it holds. */
lf_status lf_model_create_max(const char *spec, int in_ndim, const int64_t *in_shape,
                              int64_t n_out, uint64_t seed, int64_t max_params, lf_model **out);

typedef struct lf_model_vt {
    /* Declares and initialises m->params (names, shapes, PyTorch default init from rng). */
    lf_status (*build)(lf_model *m, lf_rng *rng);
    lf_tensor *(*forward)(lf_model *m, lf_tape *t, lf_tensor *x);
    void (*free_impl)(void *impl);
} lf_model_vt;

/* Shared layer helpers for models (src/model/layers.c). Parameters are declared with their
 * init, then lf_model_init_params draws them once the slab exists. */
#define LF_ACT_CHOICES "relu|tanh|gelu|sigmoid"
lf_tensor *lf_activation(lf_tape *t, int act, lf_tensor *x);
/* Declares "<name>.weight" [out, fan_in/(kh*kw)...] and "<name>.bias" [out]; returns the weight
 * index (bias = weight + 1) or -1. */
int lf_model_add_layer(lf_model *m, const char *name, int ndim, const int64_t *wshape);
/* PyTorch's default: weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform, a=sqrt(5)),
 * bias likewise, drawn in declaration order. */
void lf_model_init_params(lf_model *m, lf_rng *rng);

typedef struct lf_dataset_vt {
    lf_status (*load)(const void *cfg, lf_dataset *train, lf_dataset *test);
} lf_dataset_vt;


/* ------------------------------------------------------------------ tape internals */
typedef struct lf_node lf_node;
typedef void (*lf_backward_fn)(lf_tape *t, lf_node *n);

#define LF_NODE_IN 3
struct lf_node {
    lf_backward_fn backward;
    lf_tensor *out;
    lf_tensor *in[LF_NODE_IN];
    void *ctx;        /* arena memory saved by the forward */
    float f[4];       /* scalar arguments */
    int64_t i[8];     /* integer arguments */
};

/* Allocates an output tensor in the arena (grad NULL) with requires_grad set from the inputs. */
lf_tensor *lf_tape_out(lf_tape *t, int ndim, const int64_t *shape, lf_tensor *a, lf_tensor *b);
/* Appends a node when out->requires_grad; returns it (NULL if not recorded or on ENOMEM). */
lf_node *lf_tape_push(lf_tape *t, lf_backward_fn fn, lf_tensor *out, lf_tensor *a, lf_tensor *b,
                      lf_tensor *c);
/* A scalar output v of inputs a, b (b may be NULL) in *out (NULL on failure), and its node (NULL
 * when not recorded), for reductions and losses. */
lf_node *lf_tape_scalar(lf_tape *t, double v, lf_backward_fn fn, lf_tensor *a, lf_tensor *b,
                        lf_tensor **out);
/* Records the first error of a forward pass; returns NULL for `return lf_tape_fail(...)`. */
lf_tensor *lf_tape_fail(lf_tape *t, lf_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ------------------------------------------------------------------ numerics */
/* Row-wise log-sum-exp with max subtraction, double accumulation. */
double lf_logsumexp(const float *x, int64_t k);
/* Index of the first NaN or Inf in x[0..n), or -1 when all are finite (src/core/finite.c). */
int64_t lf_first_nonfinite(const float *x, int64_t n);
/* Vectorisable exp for float arrays (polynomial kernel, rel. error < 2e-7 on [-87, 88]). */
void lf_vexp(float *y, const float *x, int64_t n);
/* y = |x|^q for q >= 0 as exp(q ln|x|), vectorisable (rel. error ~1e-7 * max(1, q |ln|x||));
 * 0 where |x| < FLT_MIN; results under FLT_MIN flush to 0, over FLT_MAX are inf (as lf_vexp).
 * y may alias x. */
void lf_vpow(float *y, const float *x, float q, int64_t n);
/* e = exp(x - max x) over one row of k logits; returns the row's log-sum-exp and puts sum(e)
 * in *sum, so the softmax is e / *sum. */
double lf_row_exp(const float *x, int64_t k, float *e, double *sum);
/* x = x*a + b over n floats. */
void lf_vaffine(float *x, int64_t n, float a, float b);

/* ------------------------------------------------------------------ learning */
/* Rows of logits whose argmax equals the label (first max wins, as torch.argmax); with k = 1 a
 * binary score: class 1 where it is > 0. */
int64_t lf_count_correct(const float *logits, int64_t n, int64_t k, const int32_t *y);
/* Rows idx[0..m) of ds, standardised with norm (may be NULL), into x (m×d) and their labels
 * into y (when ds->y and y are non-NULL). */
void lf_gather_rows(const lf_dataset *ds, const int64_t *idx, int64_t m, const lf_norm *norm,
                    float *x, int32_t *y);
/* Binary metrics of scores, class 1 predicted where s > 0 (src/learn/eval.c). f1 and bacc
 * treat class 1 as positive; auc is the Mann-Whitney statistic with ties counted one half. A
 * metric whose denominator is empty (no positive in the rows, ...) is 0. */
typedef struct lf_binmetrics {
    double acc, f1, bacc, auc;
} lf_binmetrics;
void lf_binary_metrics(const float *score, const int32_t *y, int64_t n, lf_binmetrics *m);
/* Rescales g (n floats) in place to global L2 norm max_norm when its norm (double accumulation)
 * exceeds it; returns the norm before clipping. */
double lf_clip_grad_norm(float *g, int64_t n, double max_norm);
/* Writes `,"key":v` to f, with null for a non-finite v. */
void lf_json_number(FILE *f, const char *key, double v);
/* Writes s as a JSON string literal (with quotes) to f. */
void lf_json_string(FILE *f, const char *s);

/* ------------------------------------------------------------------ directories */
/* An output directory whose run files (with their ".tmp.<pid>" suffix) fit the 4096-byte path
 * buffers; otherwise LF_EINVAL with the limit (src/learn/train.c). */
lf_status lf_out_dir_check(const char *dir);
/* Creates a directory and its parents (mkdir -p); errors name `what`. */
lf_status lf_mkdirs(const char *dir, const char *what);

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
/* The tape's arena: per-step temporaries of ops and losses. */
lf_arena *lf_tape_arena(lf_tape *t);

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

/* ------------------------------------------------------------------ plots and progress */
/* Curves plot: up to 12 series over a shared x axis, in one or two panels side by side. */
typedef struct lf_series {
    const char *label;
    const double *y;
    int panel;          /* 0 = left, 1 = right */
    int color;          /* 1..6 picks a palette colour (same split, same colour); 0 = by
                         * order, repeating after 6 */
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


/* ------------------------------------------------------------------ data moments */
/* Per-feature mean and std (std of a constant feature taken as 1) from ds, d floats each. */
lf_status lf_dataset_moments(const lf_dataset *ds, float *mean, float *std);
/* In place; byte-stored features are converted to floats first (x8 freed). */
lf_status lf_dataset_standardize(lf_dataset *ds, const float *mean, const float *std);
/* Scalar (all-feature) mean/std: the usual normalisation for images. */
void lf_dataset_scalar_moments(const lf_dataset *ds, float *mean, float *std);
/* qsort/bsearch comparator of int64_t values (row indices), ascending (src/data/dataset.c). */
int lf_cmp_i64(const void *a, const void *b);

/* ------------------------------------------------------------------ parameter rows */
/* Parameter rows by type, each field named, so no default hides in another field's slot (a
 * string's default in `choices`). flags: LF_OPEN_MIN | LF_OPEN_MAX. */
#define LF_PARAM_FLOAT(k, d, lo, hi, fl, text, cfg_t, fld)                                    \
    {.key = (k), .type = LF_PT_FLOAT, .def = (d), .min = (lo), .max = (hi), .flags = (fl),     \
     .doc = (text), .offset = offsetof(cfg_t, fld)}
#define LF_PARAM_INT(k, d, lo, hi, text, cfg_t, fld)                                          \
    {.key = (k), .type = LF_PT_INT, .def = (d), .min = (lo), .max = (hi), .doc = (text),       \
     .offset = offsetof(cfg_t, fld)}
#define LF_PARAM_BOOL(k, d, text, cfg_t, fld)                                                 \
    {.key = (k), .type = LF_PT_BOOL, .def = (d), .doc = (text), .offset = offsetof(cfg_t, fld)}
/* d: the index of the default in choices ("a|b|c"). */
#define LF_PARAM_ENUM(k, d, ch, text, cfg_t, fld)                                             \
    {.key = (k), .type = LF_PT_ENUM, .def = (d), .choices = (ch), .doc = (text),               \
     .offset = offsetof(cfg_t, fld)}
#define LF_PARAM_STR(k, d, text, cfg_t, fld)                                                  \
    {.key = (k), .type = LF_PT_STR, .choices = (d), .doc = (text), .offset = offsetof(cfg_t, fld)}
/* d: the default list as text ("256,256"); lo, hi: the range of each item. */
#define LF_PARAM_INTLIST(k, d, lo, hi, text, cfg_t, fld)                                      \
    {.key = (k), .type = LF_PT_INTLIST, .min = (lo), .max = (hi), .choices = (d),              \
     .doc = (text), .offset = offsetof(cfg_t, fld)}

/* ------------------------------------------------------------------ files: safetensors */
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

/* ------------------------------------------------------------------ EnsLoss core */
/* EnsLoss (loss "ensloss", Dai 2025) on given standard-normal draws e[n]: the deterministic core
 * the loss runs on every call with draws from its own seeded stream (see src/loss/ensloss.c).
 * score: n scores; label: n labels 0/1. value: the surrogate mean_i g_i z_i (only its gradient
 * means something); dscore (n, may be NULL): g_i (2y_i - 1) / n with the drawn, sorted, clipped
 * and tail-scaled derivatives g held constant. */
lf_status lf_ensloss_eval(const float *score, const int32_t *label, int64_t n, double lambda,
                          const double *draws, double *value, float *dscore);

/* ------------------------------------------------------------------ text buffers */
/* Growable text (src/io/sbuf.c): appends after a failed allocation are dropped and set oom,
 * so writers check once at the end. p is NUL-terminated once anything was written. */
typedef struct lf_sbuf {
    char *p;
    size_t n, cap;
    int oom;
} lf_sbuf;
void lf_sbuf_printf(lf_sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void lf_sbuf_vprintf(lf_sbuf *b, const char *fmt, va_list ap);
void lf_sbuf_free(lf_sbuf *b);

/* ------------------------------------------------------------------ files */
/* Whole-file read (gzip-transparent when gz != 0). *n is the byte count; caller frees. */
lf_status lf_read_file(const char *path, int gz, unsigned char **data, size_t *n);

#endif
