/* lossforge train --resume DIR: the run's options come from DIR/checkpoint.safetensors. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Options that would change the computation cannot be given again: the checkpoint has them.
 * --data may (a moved file; the checkpoint's data CRC must still match), and so may --threads,
 * --quiet and --checkpoint-every. */
static const char *conflict(const lf_train_opts *o, const lf_train_opts *def)
{
    return o->model != def->model             ? "--model"
           : o->loss != def->loss             ? "--loss"
           : o->optim != def->optim           ? "--optim"
           : o->schedule != def->schedule     ? "--schedule"
           : o->epochs != def->epochs         ? "--epochs"
           : o->batch != def->batch           ? "--batch"
           : o->seed != def->seed             ? "--seed"
           : o->val_split != def->val_split   ? "--val-split"
           : o->clip_norm != def->clip_norm   ? "--clip-norm"
           : o->decay_bias != def->decay_bias ? "--decay-bias"
           : o->on_nan != def->on_nan         ? "--on-nan"
           : o->out_dir != def->out_dir       ? "--out"
                                              : NULL;
}

int cli_train_resume(const char *dir, lf_train_opts *o, const lf_train_opts *def,
                     lf_checkpoint_info *ci, char *path, size_t cap)
{
    const char *bad = conflict(o, def);
    if (bad) {
        fprintf(stderr, "lossforge train: error: %s cannot be combined with --resume: the run's "
                        "options come from its checkpoint\n", bad);
        return CLI_USAGE;
    }
    if ((size_t)snprintf(path, cap, "%s/checkpoint.safetensors", dir) >= cap)
        return cli_fail("--resume %s: path too long", dir);
    if (lf_checkpoint_read_info(path, ci) != LF_OK) return cli_fail_status();
    int threads = o->threads, every = o->checkpoint_every != def->checkpoint_every;
    int64_t every_n = o->checkpoint_every;
    const char *data = o->data;
    lf_checkpoint_train_opts(ci, o);
    if (threads > 0) o->threads = threads;
    if (every) o->checkpoint_every = every_n;
    if (data != def->data) o->data = data;
    if (!o->data)
        return cli_fail("%s holds no dataset spec (the run was not started by lossforge train); "
                        "pass --data", path);
    o->out_dir = dir;
    o->resume = path;
    return CLI_OK;
}
