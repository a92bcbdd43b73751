/* Declarations private to src/learn: the model-file layout shared by model files and
 * checkpoints, and the training position that checkpoints save and restore. */
#ifndef LF_LEARN_H
#define LF_LEARN_H

#include "internal.h"

/* The safetensors content of a model file: the parameters, then "norm.mean" and "norm.std"
 * (d floats each, from norm), and the metadata pairs {format, model, in_shape,
 * n_out}. A checkpoint holds the same, so it loads as a model file too. */
typedef struct lf_model_file {
    lf_st_entry *e;        /* n entries (malloc'd; views into the model and norm) */
    int n;
    const char *meta[8];   /* 4 key/value pairs; values may point into shape/nout */
    char shape[96], nout[24];
} lf_model_file;
lf_status lf_model_file_init(lf_model_file *f, const lf_model *m, const lf_norm *norm);
void lf_model_file_release(lf_model_file *f);
/* Copies F32 tensor `name` of st (exactly count values) into dst; errors name path and tensor. */
lf_status lf_st_copy_f32(const char *path, const lf_st *st, const char *name, float *dst,
                         int64_t count);

/* Where a training run stands; lf_train keeps it and checkpoints save it. The trainer's rng is
 * drawn only for each epoch's permutation, so the rng before it, the epoch and the offset into
 * the permuted order fix the data order; dropout seeds derive from the step. */
typedef struct lf_train_pos {
    int64_t step;          /* batches taken (skipped ones too) */
    int epoch;             /* epoch in progress, 1-based; 0 before the first */
    int64_t offset;        /* the next batch starts here in the epoch's order */
    double loss_sum;       /* this epoch so far: summed loss and hits over the counted rows */
    int64_t hits, counted;
    int64_t skipped;       /* batches skipped for a non-finite loss or gradient, whole run */
    double seconds;        /* this epoch's training time before the current process */
    lf_rng rng_epoch;      /* the trainer's rng before this epoch's permutation */
    lf_epoch_stats *hist;  /* stats of epochs 1..epoch-1 (room for o->epochs when resuming) */
} lf_train_pos;

/* What a checkpoint records besides the position. data_crc fingerprints the training data. */
typedef struct lf_ckpt_run {
    const lf_train_opts *o;
    lf_model *model;
    lf_optim *optim;
    lf_loss *loss;
    lf_schedule *sched;
    const lf_norm *norm;
    int64_t n_train;
    uint32_t data_crc;
} lf_ckpt_run;

/* Atomic write of path (temp file, fsync, rename, fsync of the directory), CRC-checked. */
lf_status lf_checkpoint_save(const char *path, const lf_ckpt_run *run, const lf_train_pos *pos);
/* Reads path, checks that it belongs to this run (specs, options, data) and restores the model
 * parameters, the optimizer state and steps, and pos (hist must have room for o->epochs). */
lf_status lf_checkpoint_restore(const char *path, const lf_ckpt_run *run, lf_train_pos *pos);
/* CRC-32 of a dataset's features and labels. */
uint32_t lf_dataset_crc(const lf_dataset *ds);

#endif
