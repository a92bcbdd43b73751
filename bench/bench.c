/* lf_bench: lossforge next to this machine's memory bandwidth and PyTorch 1.13, in one run.
 *
 *   lf_bench [--sizes 10M,50M] [--threads 1,2] [--reps 7] [--no-torch]    kernel tables
 *   lf_bench --mlp [--threads 1,2] [--epochs 1]                             MLP training
 *
 * An optimizer step and a fused loss are memory-bound, so their yardstick is a STREAM triad
 * measured in the same run on arrays of the same size. Every timing is the median over --reps
 * samples after two warm-up calls, and calls are batched so that one sample lasts >= 20 ms:
 * the 2-core machines this runs on are noisy. PyTorch runs in a child process
 * (bench/torch_bench.py, bench/torch_mlp.py) that prints JSON lines. */
#define _DEFAULT_SOURCE /* wait4, mkdtemp, realpath */
#include "lossforge.h"
#include "internal.h"
#include "lossforge/retrieval.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_LIST = 8, MAX_REPS = 101, MAX_ROWS = 256, OUT_CAP = 1 << 16 };
#define MIN_SAMPLE_S 0.02
#define TRIAD_BYTES 12 /* a, b, c: 3 arrays x 4 B (STREAM's count) */
/* What the triad really moves: storing a misses the cache, so a is read in before it is written
 * (write-allocate). An optimizer step updates in place and has no such traffic, so it is compared
 * with this rate. */
#define TRIAD_WA_BYTES 16
#define CE_BYTES 8     /* logits read + dpred written, 4 B each */

typedef struct timing {
    double best, median; /* seconds per call; 0 = not measured */
} timing;

typedef struct list {
    int n;
    int64_t v[MAX_LIST];
} list;

typedef struct config {
    list sizes, threads;
    int reps, torch, mlp, epochs;
    const char *python;
    char bench_dir[PATH_MAX], exe_dir[PATH_MAX];
} config;

/* Hyperparameters must match bench/torch_bench.py (LR, LION_WD). */
static const struct optim_case {
    const char *label, *spec, *torch_name;
    int bytes; /* per parameter per step: reads w,g,state; writes w,state */
} OPTIMS[] = {
    {"sgd-momentum", "sgd:lr=1e-2,momentum=0.9", "sgd", 5 * 4},
    {"adamw", "adamw:lr=1e-3", "adamw", 7 * 4},
    {"lion", "lion:lr=1e-4,wd=0.1", "lion", 5 * 4},
    /* ---- Lion-kappa and bf16 momentum (src/optim/lionk.c): no PyTorch counterpart (""). The
     * whole slab is one tensor here, so l2/lp make two passes over it: the first streams m and
     * g (2x4 B), the second is the one-pass step; lp adds two vectorised powers (lf_vpow) per
     * element, so it is compute-bound. */
    {"lion-bf16", "lion:lr=1e-4,wd=0.1,mu_dtype=bf16", "", 3 * 4 + 2 * 2},
    {"lionk-huber", "lionk:kappa=huber,lr=1e-4,wd=0.1", "", 5 * 4},
    {"lionk-l2", "lionk:kappa=l2,lr=1e-4,wd=0.1", "", 7 * 4},
    {"lionk-l2-bf16", "lionk:kappa=l2,lr=1e-4,wd=0.1,mu_dtype=bf16", "", 4 * 4 + 4 * 2},
    {"lionk-lp", "lionk:kappa=lp,lr=1e-4,wd=0.1", "", 7 * 4},
};
enum { NOPT = sizeof OPTIMS / sizeof OPTIMS[0] };

static const struct ce_case {
    int64_t n, k;
} CES[] = {{4096, 10}, {4096, 1000}, {512, 32000}};
enum { NCE = sizeof CES / sizeof CES[0] };

/* Multi-similarity loss + miner on rows × dim embeddings, labels in classes of 8 (P×K). */
static const struct ms_case {
    int64_t n, d;
} MSS[] = {{256, 128}, {1024, 128}};
enum { NMS = sizeof MSS / sizeof MSS[0], MS_K = 8 };

typedef struct results {
    timing triad[MAX_LIST][MAX_LIST];       /* [size][threads] */
    timing optim[NOPT][MAX_LIST][MAX_LIST]; /* [optimizer][size][threads] */
    timing ce[NCE][MAX_LIST];               /* [shape][threads] */
    timing ms[NMS][MAX_LIST];               /* [shape][threads] */
} results;

typedef struct torch_row {
    char kind[8], name[16];
    int64_t n, k;
    int threads;
    timing t;
} torch_row;

typedef struct torch_results {
    int n, ran, missing;
    char version[32], blas[1024];
    torch_row row[MAX_ROWS];
} torch_results;

typedef struct child {
    int ok;           /* exited with status 0 */
    long maxrss_kb;   /* peak resident set of the child */
    double wall_s;
    char out[OUT_CAP]; /* its stdout, NUL-terminated, truncated at OUT_CAP - 1 */
} child;

/* ------------------------------------------------------------------ timing */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*bench_fn)(void *ctx);

static timing time_calls(bench_fn fn, void *ctx, int reps)
{
    fn(ctx); /* page faults, thread-pool start */
    double t0 = lf_now();
    fn(ctx);
    double once = lf_now() - t0;
    int inner = once >= MIN_SAMPLE_S ? 1 : (int)(MIN_SAMPLE_S / fmax(once, 1e-9)) + 1;
    double s[MAX_REPS];
    for (int r = 0; r < reps; r++) {
        t0 = lf_now();
        for (int i = 0; i < inner; i++) fn(ctx);
        s[r] = (lf_now() - t0) / inner;
    }
    qsort(s, (size_t)reps, sizeof s[0], cmp_double);
    double mid = reps % 2 ? s[reps / 2] : 0.5 * (s[reps / 2 - 1] + s[reps / 2]);
    return (timing){s[0], mid};
}

static double gbps(double bytes, double seconds) { return seconds > 0 ? bytes / seconds * 1e-9 : 0; }

/* ------------------------------------------------------------------ kernels under test */
/* Deterministic values in [-scale, scale), written by the threads that later read them. */
static void fill(float *x, int64_t n, uint32_t seed, float scale)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint32_t h = ((uint32_t)i ^ seed) * 2654435761u;
        x[i] = scale * ((float)(h >> 8) * (1.0f / 8388608.0f) - 1.0f);
    }
}

typedef struct triad_ctx {
    float *a, *b, *c;
    int64_t n;
} triad_ctx;

static void triad_call(void *p)
{
    triad_ctx *t = p;
    float *restrict a = t->a;
    const float *restrict b = t->b, *restrict c = t->c;
    const float s = 3.0f;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < t->n; i++) a[i] = b[i] + s * c[i];
}

typedef struct optim_ctx {
    lf_optim *o;
    float *w;
    const float *g;
    lf_status st;
} optim_ctx;

static void optim_call(void *p)
{
    optim_ctx *c = p;
    if (c->st == LF_OK) c->st = lf_optim_step(c->o, c->w, c->g, 1.0);
}

typedef struct ce_ctx {
    lf_loss *l;
    lf_batch b;
    float *dpred;
    double value;
    lf_status st;
} ce_ctx;

static void ce_call(void *p)
{
    ce_ctx *c = p;
    if (c->st == LF_OK) c->st = lf_loss_eval(c->l, &c->b, &c->value, c->dpred);
}

/* ------------------------------------------------------------------ lossforge measurements */
static float *alloc_floats(int64_t n)
{
    float *x = malloc((size_t)n * sizeof *x);
    if (!x) fprintf(stderr, "lf_bench: out of memory for %lld floats\n", (long long)n);
    return x;
}

static int measure_triad(const config *c, results *r)
{
    for (int i = 0; i < c->sizes.n; i++) {
        int64_t n = c->sizes.v[i];
        triad_ctx t = {alloc_floats(n), alloc_floats(n), alloc_floats(n), n};
        int ok = t.a && t.b && t.c;
        if (ok) {
            fill(t.a, n, 1, 1);
            fill(t.b, n, 2, 1);
            fill(t.c, n, 3, 1);
        }
        for (int j = 0; ok && j < c->threads.n; j++) {
            lf_set_threads((int)c->threads.v[j]);
            r->triad[i][j] = time_calls(triad_call, &t, c->reps);
        }
        free(t.a);
        free(t.b);
        free(t.c);
        if (!ok) return 0;
    }
    return 1;
}

static int measure_optim(const config *c, int opt, int isize, float *w, const float *g, results *r)
{
    int64_t n = c->sizes.v[isize];
    optim_ctx ctx = {NULL, w, g, LF_OK};
    ctx.st = lf_optim_create(OPTIMS[opt].spec, n, NULL, &ctx.o);
    for (int j = 0; ctx.st == LF_OK && j < c->threads.n; j++) {
        lf_set_threads((int)c->threads.v[j]);
        r->optim[opt][isize][j] = time_calls(optim_call, &ctx, c->reps);
    }
    lf_optim_free(ctx.o);
    if (ctx.st != LF_OK)
        fprintf(stderr, "lf_bench: %s: %s\n", OPTIMS[opt].spec, lf_last_error());
    return ctx.st == LF_OK;
}

static int measure_optims(const config *c, results *r)
{
    int ok = 1;
    for (int i = 0; ok && i < c->sizes.n; i++) {
        int64_t n = c->sizes.v[i];
        float *w = alloc_floats(n), *g = alloc_floats(n);
        ok = w && g;
        if (ok) fill(g, n, 5, 1e-2f);
        for (int k = 0; ok && k < NOPT; k++) {
            fill(w, n, 4, 1); /* each optimizer starts from the same weights */
            ok = measure_optim(c, k, i, w, g, r);
        }
        free(w);
        free(g);
    }
    return ok;
}

static int measure_ce_case(const config *c, int k, results *r)
{
    int64_t rows = CES[k].n, cls = CES[k].k;
    ce_ctx ctx = {.b = {.n = rows, .k = cls}, .st = LF_OK};
    float *logits = alloc_floats(rows * cls);
    int32_t *label = malloc((size_t)rows * sizeof *label);
    ctx.dpred = alloc_floats(rows * cls);
    int ok = logits && label && ctx.dpred;
    if (ok) {
        fill(logits, rows * cls, 6, 3);
        for (int64_t i = 0; i < rows; i++) label[i] = (int32_t)((i * 7919) % cls);
        ctx.b.pred = logits;
        ctx.b.label = label;
        ctx.st = lf_loss_create("ce", &ctx.l);
    }
    for (int j = 0; ok && ctx.st == LF_OK && j < c->threads.n; j++) {
        lf_set_threads((int)c->threads.v[j]);
        r->ce[k][j] = time_calls(ce_call, &ctx, c->reps);
    }
    if (ctx.st != LF_OK) fprintf(stderr, "lf_bench: ce: %s\n", lf_last_error());
    lf_loss_free(ctx.l);
    free(logits);
    free(label);
    free(ctx.dpred);
    return ok && ctx.st == LF_OK;
}

static int measure_ce(const config *c, results *r)
{
    for (int k = 0; k < NCE; k++)
        if (!measure_ce_case(c, k, r)) return 0;
    return 1;
}

/* ------------------------------------------------------------------ child processes */
/* Reads fd to EOF; keeps the first cap - 1 bytes, NUL-terminated, and drains the rest so the
 * writer never blocks on a full pipe. */
static void read_all(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t got;
    char sink[4096];
    for (;;) {
        int full = len == cap - 1;
        got = read(fd, full ? sink : buf + len, full ? sizeof sink : cap - 1 - len);
        if (got <= 0) break;
        if (!full) len += (size_t)got;
    }
    buf[len] = 0;
}

/* Runs argv[0] (a path) with stdout captured; stderr passes through. */
static int run_child(char *const argv[], child *ch)
{
    int fd[2];
    ch->ok = 0;
    ch->out[0] = 0;
    if (pipe(fd) != 0) return 0;
    double t0 = lf_now();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    read_all(fd[0], ch->out, OUT_CAP);
    close(fd[0]);
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) return 0;
    ch->wall_s = lf_now() - t0;
    ch->maxrss_kb = ru.ru_maxrss;
    ch->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return ch->ok;
}

/* Applies fn to every JSON object line of text. */
static void each_json_line(const char *text, void (*fn)(const cJSON *, void *), void *ud)
{
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        cJSON *j = cJSON_ParseWithLength(p, len);
        if (cJSON_IsObject(j)) fn(j, ud);
        cJSON_Delete(j);
        p += len + (end != NULL);
    }
}

static const char *json_str(const cJSON *j, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, key));
    return s ? s : "";
}

static double json_num(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* "blas_info" and "mapped" of a torch script's line, as one readable string. */
static void json_blas(const cJSON *j, char *out, size_t cap)
{
    int len = snprintf(out, cap, "BLAS_INFO=%s; mapped:", json_str(j, "blas_info"));
    const cJSON *lib;
    cJSON_ArrayForEach(lib, cJSON_GetObjectItemCaseSensitive(j, "mapped"))
        if (len >= 0 && (size_t)len < cap && cJSON_IsString(lib))
            len += snprintf(out + len, cap - (size_t)len, " %s", lib->valuestring);
}

static void torch_line(const cJSON *j, void *ud)
{
    torch_results *tr = ud;
    const char *kind = json_str(j, "kind");
    if (!strcmp(kind, "missing")) tr->missing = 1;
    if (!strcmp(kind, "info")) {
        snprintf(tr->version, sizeof tr->version, "%s", json_str(j, "torch"));
        json_blas(j, tr->blas, sizeof tr->blas);
    }
    if ((strcmp(kind, "optim") && strcmp(kind, "ce") && strcmp(kind, "ms")) || tr->n == MAX_ROWS)
        return;
    torch_row *r = &tr->row[tr->n++];
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->name, sizeof r->name, "%s", json_str(j, "name"));
    r->n = (int64_t)json_num(j, "n");
    r->k = cJSON_HasObjectItem(j, "k") ? (int64_t)json_num(j, "k") : 0;
    r->threads = (int)json_num(j, "threads");
    r->t = (timing){json_num(j, "best_s"), json_num(j, "median_s")};
}

static timing torch_find(const torch_results *tr, const char *kind, const char *name, int64_t n,
                         int64_t k, int64_t threads)
{
    for (int i = 0; i < tr->n; i++) {
        const torch_row *r = &tr->row[i];
        if (!strcmp(r->kind, kind) && !strcmp(r->name, name) && r->n == n && r->k == k &&
            r->threads == threads)
            return r->t;
    }
    return (timing){0, 0};
}

static void list_text(const list *l, const char *sep, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < l->n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? sep : "", (long long)l->v[i]);
}

static void measure_torch(const config *c, torch_results *tr)
{
    char script[PATH_MAX + 32], sizes[256], threads[256], reps[16], ce[256], ms[256];
    snprintf(script, sizeof script, "%s/torch_bench.py", c->bench_dir);
    list_text(&c->sizes, ",", sizes, sizeof sizes);
    list_text(&c->threads, ",", threads, sizeof threads);
    snprintf(reps, sizeof reps, "%d", c->reps);
    size_t len = 0;
    for (int k = 0; k < NCE; k++)
        len += (size_t)snprintf(ce + len, sizeof ce - len, "%s%lldx%lld", k ? "," : "",
                                (long long)CES[k].n, (long long)CES[k].k);
    len = 0;
    for (int k = 0; k < NMS; k++)
        len += (size_t)snprintf(ms + len, sizeof ms - len, "%s%lldx%lld", k ? "," : "",
                                (long long)MSS[k].n, (long long)MSS[k].d);
    char *argv[] = {(char *)c->python, script, "--sizes", sizes, "--threads", threads,
                    "--reps", reps, "--ce", ce, "--ms", ms, NULL};
    static child ch;
    if (access(c->python, X_OK) != 0) {
        tr->missing = 1;
        return;
    }
    fprintf(stderr, "lf_bench: running %s %s ...\n", c->python, script);
    tr->ran = run_child(argv, &ch);
    each_json_line(ch.out, torch_line, tr);
    if (!tr->ran && !tr->missing)
        fprintf(stderr, "lf_bench: %s failed; torch columns left empty\n", script);
}

/* ------------------------------------------------------------------ report */
static void size_text(int64_t n, char *out, size_t cap)
{
    if (n % 1000000 == 0) snprintf(out, cap, "%lldM", (long long)(n / 1000000));
    else if (n % 1000 == 0) snprintf(out, cap, "%lldK", (long long)(n / 1000));
    else snprintf(out, cap, "%lld", (long long)n);
}

/* The value after ':' (trimmed) on the first line of a file that starts with key. */
static void file_field(const char *path, const char *key, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, key, strlen(key)) || !colon) continue;
        colon += strspn(colon + 1, " \t") + 1;
        colon[strcspn(colon, "\n")] = 0;
        snprintf(out, cap, "%s", colon);
        break;
    }
    if (f) fclose(f);
}

/* BLAS/LAPACK libraries mapped into this process: the ones lossforge links. */
static void self_blas(char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 128], real[PATH_MAX];
    size_t len = 0;
    out[0] = 0;
    while (f && fgets(line, sizeof line, f) && len < cap) {
        char *path = strchr(line, '/');
        if (!path) continue;
        path[strcspn(path, "\n")] = 0;
        const char *base = strrchr(path, '/') + 1;
        if ((strstr(base, "blas") || strstr(base, "lapack")) && realpath(path, real) &&
            !strstr(out, real))
            len += (size_t)snprintf(out + len, cap - len, " %s", real);
    }
    if (f) fclose(f);
}

/* CPU seconds all processes spent busy (user, nice, system, irq, softirq, steal) since boot. */
static double machine_busy_s(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                         &v[3], &v[4], &v[5], &v[6], &v[7]) : 0;
    if (f) fclose(f);
    if (got != 8) return NAN;
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of this process and its waited-for children. */
static double own_busy_s(void)
{
    struct rusage s, c;
    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    double t = 0;
    const struct timeval *tv[] = {&s.ru_utime, &s.ru_stime, &c.ru_utime, &c.ru_stime};
    for (int i = 0; i < 4; i++) t += (double)tv[i]->tv_sec + 1e-6 * (double)tv[i]->tv_usec;
    return t;
}

typedef struct noise {
    double wall, machine, own;
} noise;

static noise noise_begin(void) { return (noise){lf_now(), machine_busy_s(), own_busy_s()}; }

/* The CPU time other processes took while we measured: the figure to judge a run's noise by. */
static void print_noise(noise n0)
{
    double wall = lf_now() - n0.wall;
    double other = machine_busy_s() - n0.machine - (own_busy_s() - n0.own);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    other = fmax(other, 0);
    printf("\nbackground load: other processes used %.1f CPU-s during the %.0f s run (%.0f%% of %ld "
           "CPUs)\n", other, wall, 100 * other / (wall * (double)cpus), cpus);
}

/* sysfs rather than sysconf for the L3 size: under a hypervisor glibc may report the host's. */
static void first_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f && fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = 0;
    if (f) fclose(f);
}

static void print_machine(void)
{
    char cpu[256], mem[64], date[64], blas[1024], l3[32] = "";
    struct utsname u;
    time_t now = time(NULL);
    file_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    file_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
    first_line("/sys/devices/system/cpu/cpu0/cache/index3/size", l3, sizeof l3);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", localtime(&now));
    self_blas(blas, sizeof blas);
    uname(&u);
    printf("date     %s\nmachine  %s, %ld online CPUs, L3 %s, RAM %.1f GiB, %s %s\n", date, cpu,
           sysconf(_SC_NPROCESSORS_ONLN), l3[0] ? l3 : "?", atof(mem) / (1 << 20), u.sysname,
           u.release);
    printf("build    lossforge %s (%s kernels), gcc %s, BLAS:%s\n", LF_VERSION, lf_cpu_kernels(),
           __VERSION__, blas[0] ? blas : " (none mapped)");
}

static void print_triad(const config *c, const results *r)
{
    printf("\nmemory bandwidth: STREAM triad a[i] = b[i] + s*c[i], OpenMP; GB/s count 3 arrays x 4 B "
           "per element (STREAM's convention,\nwrite-allocate NOT counted); the last column counts "
           "the write-allocate read of a too (4 x 4 B): the DRAM rate steps are compared with\n");
    printf("%10s %4s %12s %12s %16s\n", "N", "thr", "best GB/s", "median GB/s", "best incl. WA");
    for (int i = 0; i < c->sizes.n; i++)
        for (int j = 0; j < c->threads.n; j++) {
            char sz[32];
            size_text(c->sizes.v[i], sz, sizeof sz);
            timing t = r->triad[i][j];
            double n = (double)c->sizes.v[i];
            printf("%10s %4lld %12.1f %12.1f %16.1f\n", sz, (long long)c->threads.v[j],
                   gbps(TRIAD_BYTES * n, t.best), gbps(TRIAD_BYTES * n, t.median),
                   gbps(TRIAD_WA_BYTES * n, t.best));
        }
}

/* "  ns/unit  GB/s" of one side, or dashes when it was not measured. */
static void print_side(timing t, double units, double bytes)
{
    if (t.median > 0) printf(" %10.3f %7.1f", t.median / units * 1e9, gbps(bytes, t.median));
    else printf(" %10s %7s", "-", "-");
}

static void print_speedup(timing lf, timing torch)
{
    if (lf.median > 0 && torch.median > 0) printf(" %8.2fx\n", torch.median / lf.median);
    else printf(" %9s\n", "-");
}

static void print_optims(const config *c, const results *r, const torch_results *tr)
{
    printf("\noptimizer step through lf_optim_step on N floats (median; bytes counted per parameter: "
           "sgd-momentum 5x4, adamw 7x4, lion 5x4;\nlossforge also reads a 1-byte decay mask, not "
           "counted); triad = lossforge GB/s / triad best incl. WA; speedup = torch time / "
           "lossforge time\n");
    printf("Lion-kappa rows (no torch): lion-bf16 3x4+2x2 (bf16 momentum), lionk-huber 5x4, "
           "lionk-l2 and -lp 7x4 (norm pass + step), lionk-l2-bf16 4x4+4x2\n");
    printf("%-13s %5s %4s | %10s %7s %6s | %10s %7s | %9s\n", "optimizer", "N", "thr",
           "lf ns/par", "GB/s", "triad", "pt ns/par", "GB/s", "speedup");
    for (int k = 0; k < NOPT; k++)
        for (int i = 0; i < c->sizes.n; i++)
            for (int j = 0; j < c->threads.n; j++) {
                char sz[32];
                int64_t n = c->sizes.v[i], th = c->threads.v[j];
                size_text(n, sz, sizeof sz);
                timing lf = r->optim[k][i][j];
                timing pt = torch_find(tr, "optim", OPTIMS[k].torch_name, n, 0, th);
                double bytes = (double)OPTIMS[k].bytes * (double)n;
                double tri = gbps((double)TRIAD_WA_BYTES * (double)n, r->triad[i][j].best);
                printf("%-13s %5s %4lld |", OPTIMS[k].label, sz, (long long)th);
                print_side(lf, (double)n, bytes);
                printf(" %5.0f%% |", tri > 0 ? 100 * gbps(bytes, lf.median) / tri : 0);
                print_side(pt, (double)n, bytes);
                printf(" |");
                print_speedup(lf, pt);
            }
}

static void print_ce(const config *c, const results *r, const torch_results *tr)
{
    printf("\ncross-entropy forward+backward: lf_loss_eval(\"ce\") with dpred vs F.cross_entropy + "
           ".backward() (median; %d B/element counted: logits read + gradient written)\n", CE_BYTES);
    printf("%-12s %4s | %10s %7s | %10s %7s | %9s\n", "logits", "thr", "lf ns/elem", "GB/s",
           "pt ns/elem", "GB/s", "speedup");
    for (int k = 0; k < NCE; k++)
        for (int j = 0; j < c->threads.n; j++) {
            char shape[48];
            double elems = (double)(CES[k].n * CES[k].k);
            int64_t th = c->threads.v[j];
            snprintf(shape, sizeof shape, "%lldx%lld", (long long)CES[k].n, (long long)CES[k].k);
            timing pt = torch_find(tr, "ce", "", CES[k].n, CES[k].k, th);
            printf("%-12s %4lld |", shape, (long long)th);
            print_side(r->ce[k][j], elems, CE_BYTES * elems);
            printf(" |");
            print_side(pt, elems, CE_BYTES * elems);
            printf(" |");
            print_speedup(r->ce[k][j], pt);
        }
}

/* ------------------------------------------------------------------ multi-similarity loss */
/* One call = lf_miner_mine("ms-miner") + lf_loss_eval("ms") on the mined pairs with the
 * gradient: the n×n cosine matrix (sgemm) twice, the mining pass, the fused loss pass and the
 * backward sgemm. PyTorch: tests/pml_ref.py (pytorch-metric-learning's MultiSimilarityMiner and
 * MultiSimilarityLoss, transcribed) with .backward(), in bench/torch_bench.py. */
typedef struct ms_ctx {
    lf_loss *l;
    lf_miner *m;
    lf_batch b;
    uint8_t *pairs;
    float *dpred;
    double value;
    lf_status st;
} ms_ctx;

static void ms_call(void *p)
{
    ms_ctx *c = p;
    c->b.pairs = NULL;
    if (c->st == LF_OK) c->st = lf_miner_mine(c->m, &c->b, c->pairs, NULL, NULL);
    c->b.pairs = c->pairs;
    if (c->st == LF_OK) c->st = lf_loss_eval(c->l, &c->b, &c->value, c->dpred);
}

static int measure_ms_case(const config *c, int k, results *r)
{
    const int64_t n = MSS[k].n, d = MSS[k].d;
    ms_ctx ctx = {.b = {.n = n, .k = d}, .st = LF_OK};
    float *emb = alloc_floats(n * d);
    int32_t *label = malloc((size_t)n * sizeof *label);
    ctx.dpred = alloc_floats(n * d);
    ctx.pairs = malloc((size_t)(n * n));
    int ok = emb && label && ctx.dpred && ctx.pairs;
    if (ok) {
        fill(emb, n * d, 7, 1);
        for (int64_t i = 0; i < n; i++) label[i] = (int32_t)(i / MS_K);
        ctx.b.pred = emb;
        ctx.b.label = label;
        ctx.st = lf_loss_create("ms", &ctx.l);
        if (ctx.st == LF_OK) ctx.st = lf_miner_create("ms-miner", &ctx.m);
    }
    for (int j = 0; ok && ctx.st == LF_OK && j < c->threads.n; j++) {
        lf_set_threads((int)c->threads.v[j]);
        r->ms[k][j] = time_calls(ms_call, &ctx, c->reps);
    }
    if (ctx.st != LF_OK) fprintf(stderr, "lf_bench: ms: %s\n", lf_last_error());
    lf_loss_free(ctx.l);
    lf_miner_free(ctx.m);
    free(emb);
    free(label);
    free(ctx.dpred);
    free(ctx.pairs);
    return ok && ctx.st == LF_OK;
}

static int measure_ms(const config *c, results *r)
{
    for (int k = 0; k < NMS; k++)
        if (!measure_ms_case(c, k, r)) return 0;
    return 1;
}

static void print_ms(const config *c, const results *r, const torch_results *tr)
{
    printf("\nmulti-similarity loss + miner, forward+backward: lf_miner_mine(\"ms-miner\") + "
           "lf_loss_eval(\"ms\") vs pytorch-metric-learning's\nMultiSimilarityMiner + "
           "MultiSimilarityLoss transcribed (tests/pml_ref.py) + .backward(); labels in classes "
           "of %d (median)\n", MS_K);
    printf("%-12s %4s | %10s | %10s | %9s\n", "embeddings", "thr", "lf ms", "pt ms", "speedup");
    for (int k = 0; k < NMS; k++)
        for (int j = 0; j < c->threads.n; j++) {
            char shape[48];
            int64_t th = c->threads.v[j];
            snprintf(shape, sizeof shape, "%lldx%lld", (long long)MSS[k].n, (long long)MSS[k].d);
            timing lf = r->ms[k][j], pt = torch_find(tr, "ms", "", MSS[k].n, MSS[k].d, th);
            printf("%-12s %4lld |", shape, (long long)th);
            if (lf.median > 0) printf(" %10.3f |", lf.median * 1e3);
            else printf(" %10s |", "-");
            if (pt.median > 0) printf(" %10.3f |", pt.median * 1e3);
            else printf(" %10s |", "-");
            print_speedup(lf, pt);
        }
}

static void print_torch_status(const config *c, const torch_results *tr)
{
    if (!c->torch) printf("torch: skipped (--no-torch)\n");
    else if (tr->missing) printf("torch: not installed (make deps-dev)\n");
    else if (!tr->ran) printf("torch: bench/torch_bench.py failed (see stderr)\n");
    else printf("torch    %s (%s), via %s\n", tr->version, tr->blas, c->python);
}

static int run_kernels(const config *c)
{
    static results r;
    static torch_results tr;
    char sizes[256], threads[256];
    list_text(&c->sizes, ",", sizes, sizeof sizes);
    list_text(&c->threads, ",", threads, sizeof threads);
    fprintf(stderr, "lf_bench: measuring lossforge (sizes %s, threads %s, %d reps) ...\n", sizes,
            threads, c->reps);
    noise n0 = noise_begin();
    if (!measure_triad(c, &r) || !measure_optims(c, &r) || !measure_ce(c, &r) ||
        !measure_ms(c, &r))
        return 1;
    if (c->torch) measure_torch(c, &tr);
    printf("lf_bench --sizes %s --threads %s --reps %d\n", sizes, threads, c->reps);
    print_machine();
    print_torch_status(c, &tr);
    print_triad(c, &r);
    print_optims(c, &r, &tr);
    print_ce(c, &r, &tr);
    print_ms(c, &r, &tr);
    print_noise(n0);
    return 0;
}

/* ------------------------------------------------------------------ MLP training */
typedef struct mlp_side {
    double samples_per_s, test_acc, wall_s;
    long maxrss_kb;
    int ok;
} mlp_side;

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX + 256];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d) closedir(d);
    rmdir(dir);
}

/* The number after the last "key": in a file, NAN if absent. Scans text rather than parsing JSON
 * because metrics.jsonl writes non-finite values as bare nan, which is not JSON. */
static double file_last_number(const char *path, const char *key, char *buf, size_t cap)
{
    char pat[64];
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(buf, 1, cap - 1, f) : 0;
    if (f) fclose(f);
    buf[got] = 0;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *last = NULL;
    for (const char *p = buf; (p = strstr(p, pat)); p++) last = p;
    return last ? strtod(last + strlen(pat), NULL) : NAN;
}

static mlp_side mlp_lossforge(const config *c, int threads, child *ch)
{
    char cli[PATH_MAX + 16], th[16], ep[16], dir[] = "/tmp/lf_bench.XXXXXX";
    char path[PATH_MAX];
    mlp_side s = {0};
    if (!mkdtemp(dir)) return s;
    snprintf(cli, sizeof cli, "%s/lossforge", c->exe_dir);
    snprintf(th, sizeof th, "%d", threads);
    snprintf(ep, sizeof ep, "%d", c->epochs);
    char *argv[] = {cli, "train", "--data", "fashion-mnist", "--model", "mlp:256,256", "--loss",
                    "ce", "--optim", "adamw:lr=1e-3", "--epochs", ep, "--batch", "128",
                    "--threads", th, "--quiet", "--out", dir, NULL};
    s.ok = run_child(argv, ch);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    s.samples_per_s = file_last_number(path, "samples_per_s", ch->out, OUT_CAP);
    snprintf(path, sizeof path, "%s/result.json", dir);
    s.test_acc = file_last_number(path, "test_acc", ch->out, OUT_CAP);
    s.ok = s.ok && s.samples_per_s > 0;
    remove_tree(dir);
    s.wall_s = ch->wall_s;
    s.maxrss_kb = ch->maxrss_kb;
    return s;
}

typedef struct torch_mlp_line {
    mlp_side *s;
    char *blas;
    int missing;
} torch_mlp_line;

static void torch_mlp_json(const cJSON *j, void *ud)
{
    torch_mlp_line *t = ud;
    if (!strcmp(json_str(j, "kind"), "missing")) t->missing = 1;
    if (strcmp(json_str(j, "kind"), "mlp")) return;
    t->s->samples_per_s = json_num(j, "samples_per_s");
    t->s->test_acc = json_num(j, "test_acc");
    json_blas(j, t->blas, 1024);
}

/* PyTorch with `threads` intra-op (OpenMP) threads and `blas` OpenBLAS threads. */
static mlp_side mlp_torch(const config *c, int threads, int blas, child *ch, char info[1024],
                          int *missing)
{
    char script[PATH_MAX + 32], th[16], bt[16], ep[16];
    mlp_side s = {0};
    snprintf(script, sizeof script, "%s/torch_mlp.py", c->bench_dir);
    snprintf(th, sizeof th, "%d", threads);
    snprintf(bt, sizeof bt, "%d", blas);
    snprintf(ep, sizeof ep, "%d", c->epochs);
    char *argv[] = {(char *)c->python, script, "--threads", th, "--blas-threads", bt,
                    "--epochs", ep, NULL};
    torch_mlp_line t = {&s, info, 0};
    s.ok = access(c->python, X_OK) == 0 && run_child(argv, ch);
    each_json_line(ch->out, torch_mlp_json, &t);
    *missing = t.missing || access(c->python, X_OK) != 0;
    s.ok = s.ok && !t.missing;
    s.wall_s = ch->wall_s;
    s.maxrss_kb = ch->maxrss_kb;
    return s;
}

static void print_mlp_side(mlp_side s)
{
    if (s.ok) printf(" %10.0f %8.1f %7.2f%% %7.1f", s.samples_per_s, s.maxrss_kb / 1024.0,
                     100 * s.test_acc, s.wall_s);
    else printf(" %10s %8s %8s %7s", "-", "-", "-", "-");
}

static void print_mlp_row(const char *label, mlp_side lf, mlp_side pt)
{
    printf("%5s |", label);
    print_mlp_side(lf);
    printf(" |");
    print_mlp_side(pt);
    if (lf.ok && pt.ok) printf(" | %8.2fx\n", lf.samples_per_s / pt.samples_per_s);
    else printf(" | %9s\n", "-");
}

static void print_mlp_header(const config *c)
{
    printf("lf_bench --mlp --epochs %d\n", c->epochs);
    print_machine();
    printf("\nMLP 784-256-256-10 ReLU on Fashion-MNIST (60000 train rows), AdamW lr 1e-3, batch 128, "
           "%d epoch(s);\nsamples/s = training steps of the last epoch; peak RSS and wall time of "
           "the whole process (wait4)\n  lossforge: %s/lossforge train --data fashion-mnist --model "
           "mlp:256,256 --loss ce --optim adamw:lr=1e-3 --epochs %d --batch 128 --threads T --quiet\n"
           "  pytorch:   %s %s/torch_mlp.py --threads T --blas-threads T --epochs %d\n"
           "row 1+T: PyTorch with 1 intra-op thread and T OpenBLAS threads (its two pools do not "
           "share cores); lossforge repeats its T-thread run\n\n",
           c->epochs, c->exe_dir, c->epochs, c->python, c->bench_dir, c->epochs);
    printf("%5s | %10s %8s %8s %7s | %10s %8s %8s %7s | %9s\n", "thr", "lf samp/s", "RSS MiB",
           "test acc", "wall s", "pt samp/s", "RSS MiB", "test acc", "wall s", "speedup");
}

static int run_mlp(const config *c)
{
    static child ch;
    char blas[1024] = "";
    int missing = 0, fails = 0;
    mlp_side lf[MAX_LIST], pt[MAX_LIST], split[MAX_LIST];
    noise n0 = noise_begin();
    for (int j = 0; j < c->threads.n; j++) {
        int t = (int)c->threads.v[j];
        fprintf(stderr, "lf_bench: MLP training, %d thread(s) ...\n", t);
        lf[j] = mlp_lossforge(c, t, &ch);
        if (!lf[j].ok) fprintf(stderr, "lf_bench: lossforge train failed\n");
        fails += !lf[j].ok;
        pt[j] = split[j] = (mlp_side){0};
        if (c->torch) pt[j] = mlp_torch(c, t, t, &ch, blas, &missing);
        if (c->torch && t > 1) split[j] = mlp_torch(c, 1, t, &ch, blas, &missing);
    }
    print_mlp_header(c);
    for (int j = 0; j < c->threads.n; j++) {
        char label[24];
        snprintf(label, sizeof label, "%lld", (long long)c->threads.v[j]);
        print_mlp_row(label, lf[j], pt[j]);
        snprintf(label, sizeof label, "1+%lld", (long long)c->threads.v[j]);
        if (c->threads.v[j] > 1 && c->torch) print_mlp_row(label, lf[j], split[j]);
    }
    if (!c->torch) printf("torch: skipped (--no-torch)\n");
    else if (missing) printf("torch: not installed (make deps-dev)\n");
    else printf("torch BLAS: %s\n", blas);
    print_noise(n0);
    return fails ? 1 : 0;
}

/* ------------------------------------------------------------------ options */
/* "10M,50M" / "1,2": positive integers with an optional K/M/G (10^3, 10^6, 10^9) suffix. */
static int parse_list(const char *opt, const char *text, double max, list *out)
{
    list l = {0};
    const char *p = text;
    for (;;) {
        char *end;
        double v = strtod(p, &end);
        double mult = *end == 'K' || *end == 'k' ? 1e3 : *end == 'M' || *end == 'm' ? 1e6
                    : *end == 'G' || *end == 'g' ? 1e9 : 1;
        end += mult != 1;
        v *= mult;
        if (end == p || (*end && *end != ',') || !(v >= 1 && v <= max) || v != floor(v) ||
            l.n == MAX_LIST) {
            fprintf(stderr, "lf_bench: %s: bad list \"%s\" (up to %d integers in [1, %.0f], "
                            "comma-separated, K/M/G suffixes allowed)\n", opt, text, MAX_LIST, max);
            return 0;
        }
        l.v[l.n++] = (int64_t)v;
        if (!*end) break;
        p = end + 1;
    }
    *out = l;
    return 1;
}

static int parse_int(const char *opt, const char *text, int lo, int hi, int *out)
{
    list l;
    if (!parse_list(opt, text, hi, &l) || l.n != 1 || l.v[0] < lo) {
        fprintf(stderr, "lf_bench: %s takes one integer in [%d, %d]\n", opt, lo, hi);
        return 0;
    }
    *out = (int)l.v[0];
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lf_bench [--sizes 10M,50M] [--threads 1,2] [--reps 7] [--no-torch]\n"
            "                [--python /usr/bin/python3]\n"
            "       lf_bench --mlp [--threads 1,2] [--epochs 1]\n"
            "Memory bandwidth (STREAM triad), lossforge optimizer steps (sgd-momentum, adamw, lion) "
            "on N floats,\ncross-entropy and multi-similarity loss + miner forward+backward, side by "
            "side with PyTorch (bench/torch_bench.py).\n--mlp instead trains the Fashion-MNIST MLP "
            "with lossforge and PyTorch (bench/torch_mlp.py):\nsamples/s, peak RSS, and the BLAS "
            "each one uses.\n");
}

/* Scripts live in bench/ of the source tree: found from the working directory (make bench runs
 * in the repository root) or next to the build directory. */
static void find_dirs(config *c)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(c->exe_dir, sizeof c->exe_dir, "%s", slash ? exe : ".");
    if (access("bench/torch_bench.py", R_OK) == 0 && realpath("bench", c->bench_dir)) return;
    snprintf(c->bench_dir, sizeof c->bench_dir, "%.*s/../bench", PATH_MAX - 16, c->exe_dir);
}

static int parse_args(int argc, char **argv, config *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1, takes = !strcmp(a, "--sizes") || !strcmp(a, "--threads") ||
                            !strcmp(a, "--reps") || !strcmp(a, "--epochs") || !strcmp(a, "--python");
        if (takes && !v) ok = 0;
        else if (!strcmp(a, "--sizes")) ok = parse_list(a, v, 2e9, &c->sizes);
        else if (!strcmp(a, "--threads")) ok = parse_list(a, v, 1024, &c->threads);
        else if (!strcmp(a, "--reps")) ok = parse_int(a, v, 1, MAX_REPS, &c->reps);
        else if (!strcmp(a, "--epochs")) ok = parse_int(a, v, 1, 1000, &c->epochs);
        else if (!strcmp(a, "--python")) c->python = v;
        else if (!strcmp(a, "--no-torch")) c->torch = 0;
        else if (!strcmp(a, "--mlp")) c->mlp = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else ok = 0;
        if (!ok) {
            if (takes && !v) fprintf(stderr, "lf_bench: %s needs a value\n", a);
            else if (!takes) fprintf(stderr, "lf_bench: unknown option %s\n", a);
            usage(stderr);
            return 0;
        }
        i += takes;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static config c = {.sizes = {2, {10000000, 50000000}}, .threads = {2, {1, 2}}, .reps = 7,
                       .torch = 1, .epochs = 1, .python = "/usr/bin/python3"};
    if (!parse_args(argc, argv, &c)) return 2;
    find_dirs(&c);
    return c.mlp ? run_mlp(&c) : run_kernels(&c);
}
