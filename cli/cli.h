/* Shared pieces of the command-line verbs: option tables, errors, exit codes. */
#ifndef LF_CLI_H
#define LF_CLI_H

#include <math.h>

#include "lossforge.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_HELP = -1 };

typedef enum { OPT_STR, OPT_INT, OPT_U64, OPT_DOUBLE, OPT_FLAG } cli_opt_type;

/* The values an OPT_INT or OPT_DOUBLE option accepts: [min, max], an end left out when its
 * open flag is set; max may be INFINITY. lo == hi == 0: every value of the type (for doubles:
 * every finite one). OPT_U64 is always [0, 2^64-1]. */
typedef struct cli_range {
    double min, max;
    int open_min, open_max;
} cli_range;
#define CLI_ANY {0, 0, 0, 0}
#define CLI_IN(lo, hi) {(lo), (hi), 0, 0}      /* [lo, hi] */
#define CLI_ABOVE(lo, hi) {(lo), (hi), 1, 0}   /* (lo, hi] */
#define CLI_BELOW(lo, hi) {(lo), (hi), 0, 1}   /* [lo, hi) */
#define CLI_INT_MAX 2147483647.0
/* --threads: at least one; more than 256 is a typo (it oversubscribes any machine we run on). */
#define CLI_THREADS CLI_IN(1, 256)
#define CLI_POSITIVE CLI_ABOVE(0, INFINITY) /* (0, inf): any finite number above 0 */

/* Integers and numbers are parsed strictly: the whole value, no leading space or sign other
 * than an integer's '-', no overflow, finite numbers only, then checked against the range. */
typedef struct cli_opt {
    const char *name;   /* without the leading "--" */
    cli_opt_type type;
    void *ptr;          /* const char **, int *, uint64_t *, double *, int * */
    const char *help;
    cli_range range;    /* OPT_INT, OPT_DOUBLE: the values accepted */
} cli_opt;

/* Parses `--name value` / `--name=value` into the table. Returns CLI_OK, CLI_HELP (help was
 * printed to stdout) or CLI_USAGE (message printed to stderr). */
int cli_parse(const char *verb, const char *summary, int argc, char **argv, const cli_opt *opts,
              int nopts);
/* Prints "lossforge: error: <lf_last_error()>" and returns CLI_FAIL. */
int cli_fail_status(void);
int cli_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

int cmd_train(int argc, char **argv);
/* --resume DIR (cli/train_resume.c): checks that o differs from def only in options a resumed
 * run may change, then fills o from DIR/checkpoint.safetensors (read into ci, its path written
 * to path) and points o->out_dir at DIR. Returns CLI_OK, CLI_USAGE or CLI_FAIL (printed). */
int cli_train_resume(const char *dir, lf_train_opts *o, const lf_train_opts *def,
                     lf_checkpoint_info *ci, char *path, size_t cap);
/* --out DIR (cli/train_out.c), before any work: refuses a path too long for the run's files,
 * creates DIR, takes an exclusive lock on DIR/.lossforge.lock for the rest of the process
 * (a second writer is refused), removes temp files of dead processes, and refuses a DIR that
 * holds another run's files unless force (which removes them) or resuming > 0 (resuming < 0:
 * the mode has no --resume, so the message does not offer it). Returns CLI_OK or CLI_FAIL
 * (printed). */
int cli_claim_out(const char *dir, int force, int resuming);
/* --ensemble M (cli/train_ensemble.c): trains and scores the ensemble, prints its metrics. */
int cli_train_ensemble(const lf_train_opts *o, int members, const char *kind, int burn_in,
                       int thin, const lf_dataset *train, const lf_dataset *test);
/* An sgld --optim without n_data gets the number of training rows (buf holds the new spec). */
void cli_fill_n_data(lf_train_opts *o, const lf_dataset *train, char *buf, size_t cap);
/* train --embedding (cli/train_embedding.c): its own options, training and retrieval scores. */
int cli_train_embedding(int argc, char **argv);
/* Class lists of --train-classes / --classes (cli/train_embedding.c). */
enum { CLI_MAX_CLASSES = 1024 };
/* "0,1,2" into out (at most CLI_MAX_CLASSES); returns the count, or -1 after printing
 * "lossforge <verb_opt> wants class ids ..." (verb_opt e.g. "train: error: --train-classes"). */
int cli_parse_classes(const char *verb_opt, const char *text, int32_t *out);
/* Every label of ds that is not in train[0..ntrain), into out; returns the count. */
int cli_other_classes(const lf_dataset *ds, const int32_t *train, int ntrain, int32_t *out);
/* train --episodic (cli/train_episodic.c): episodic meta-training, then few-shot accuracy on the
 * test split's held-out classes. */
int cli_train_episodic(int argc, char **argv);
/* eval --episodic: few-shot accuracy of an embedding model (cli/train_episodic.c). */
int cli_eval_episodic(lf_model *m, const lf_norm *norm, const lf_dataset *ds, const char *episodic,
                      int64_t episodes, const char *classes, uint64_t seed);
/* Run summaries (cli/summary.c). */
/* The name of class c of ds, for tables: the single place that will print a dataset's label
 * set (class id -> original label); class ids until datasets carry one. */
void cli_class_name(const lf_dataset *ds, int32_t c, char *buf, size_t cap);
typedef struct cli_prf {
    double precision, recall, f1; /* 0 where the denominator is empty */
    int64_t support;              /* rows of the class */
} cli_prf;
/* Per-class precision, recall and F1 of a k×k confusion matrix counting [true][predicted]. */
void cli_class_prf(const int64_t *conf, int64_t k, cli_prf *out);
/* Prints the per-class table of conf (classes named by ds) and its macro mean to stdout. */
int cli_print_prf(const lf_dataset *ds, const int64_t *conf, int64_t k);
/* Before training, to stderr: the data (rows, features, classes with counts, split sizes) and
 * the loss, optimizer, schedule as given and threads. */
void cli_summary_begin(const lf_train_opts *o, const lf_dataset *train, const lf_dataset *test);
/* After training: per-class precision, recall and F1 of out_dir/model.safetensors on test. */
int cli_summary_test(const char *out_dir, const lf_dataset *test);
/* After training: the files of the run in out_dir, each with what it holds. */
void cli_summary_files(const char *out_dir, int checkpoints);
int cmd_compare(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_papers(int argc, char **argv);
int cmd_loss(int argc, char **argv);
int cmd_repro(int argc, char **argv);

/* The options `train --embedding` and `train --episodic` share, on an lf_embed_opts o and their
 * force and quiet flags. */
#define CLI_EMBED_RUN_OPTS(o, force, quiet)                                                     \
    {"threads", OPT_INT, &(o).threads, "threads (default: all cores)", CLI_THREADS},           \
    {"clip-norm", OPT_DOUBLE, &(o).clip_norm, "clip the gradient to this global L2 norm",      \
     CLI_POSITIVE},                                                                            \
    {"out", OPT_STR, &(o).out_dir, "output directory for model.safetensors (default runs/last)", \
     CLI_ANY},                                                                                 \
    {"force", OPT_FLAG, &(force), "replace the files of another run in --out (default: refuse)", \
     CLI_ANY},                                                                                 \
    {"quiet", OPT_FLAG, &(quiet), "no progress output", CLI_ANY}

#endif
