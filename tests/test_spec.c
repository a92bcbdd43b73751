/* Spec strings and the registry: every value type, every error path, ranges, locale
 * independence, exact canonical round trips (synthetic descriptors and the whole registry). */
#include "testutil.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------ synthetic descriptors */
typedef struct syn_cfg {
    double x, q;
    int64_t n;
    int flag;
    int act;
    char path[LF_STR_MAX];
    lf_intlist hidden;
} syn_cfg;

static const lf_param_desc syn_params[] = {
    {"x", LF_PT_FLOAT, 0.5, -INFINITY, INFINITY, 0, NULL, "any double", offsetof(syn_cfg, x)},
    {"q", LF_PT_FLOAT, 0.7, 0, 1, LF_OPEN_MIN, NULL, "(0, 1]", offsetof(syn_cfg, q)},
    {"n", LF_PT_INT, 10, 1, 1e9, 0, NULL, "count", offsetof(syn_cfg, n)},
    {"flag", LF_PT_BOOL, 0, 0, 1, 0, NULL, "switch", offsetof(syn_cfg, flag)},
    {"act", LF_PT_ENUM, 1, 0, 0, 0, "relu|tanh|gelu", "activation", offsetof(syn_cfg, act)},
    {"path", LF_PT_STR, 0, 0, 0, 0, "data/x.csv", "file", offsetof(syn_cfg, path)},
    {"hidden", LF_PT_INTLIST, 0, 1, 4096, 0, "256,256", "widths", offsetof(syn_cfg, hidden)},
};
static const lf_desc syn = {LF_KIND_MODEL, "syn", "synthetic: every type", NULL, syn_params,
                            LF_NPARAMS(syn_params), sizeof(syn_cfg), NULL};

typedef struct gce_cfg {
    double q;
} gce_cfg;
static const lf_param_desc gce_params[] = {
    {"q", LF_PT_FLOAT, 0.7, 0, 1, LF_OPEN_MIN, NULL, "truncation", offsetof(gce_cfg, q)},
};
static const lf_desc gce = {LF_KIND_LOSS, "gce", "synthetic gce", "compsum", gce_params,
                            LF_NPARAMS(gce_params), sizeof(gce_cfg), NULL};

typedef struct lion_cfg {
    double lr, b1, b2, wd;
} lion_cfg;
static const lf_param_desc lion_params[] = {
    {"lr", LF_PT_FLOAT, 1e-4, 0, INFINITY, LF_OPEN_MIN, NULL, "lr", offsetof(lion_cfg, lr)},
    {"b1", LF_PT_FLOAT, 0.9, 0, 1, LF_OPEN_MAX, NULL, "b1", offsetof(lion_cfg, b1)},
    {"b2", LF_PT_FLOAT, 0.99, 0, 1, LF_OPEN_MIN | LF_OPEN_MAX, NULL, "b2", offsetof(lion_cfg, b2)},
    {"wd", LF_PT_FLOAT, 0, 0, INFINITY, 0, NULL, "wd", offsetof(lion_cfg, wd)},
};
static const lf_desc lion = {LF_KIND_OPTIM, "lion", "synthetic lion", "lion", lion_params,
                             LF_NPARAMS(lion_params), sizeof(lion_cfg), NULL};

/* A list whose default is empty, and a descriptor with no parameters at all. */
typedef struct net_cfg {
    lf_intlist widths;
    double dropout;
} net_cfg;
static const lf_param_desc net_params[] = {
    {"dropout", LF_PT_FLOAT, 0, 0, 1, LF_OPEN_MAX, NULL, "p", offsetof(net_cfg, dropout)},
    {"widths", LF_PT_INTLIST, 0, 1, 1e6, 0, "", "widths", offsetof(net_cfg, widths)},
};
static const lf_desc net = {LF_KIND_MODEL, "net", "synthetic net", NULL, net_params,
                            LF_NPARAMS(net_params), sizeof(net_cfg), NULL};
static const lf_desc bare = {LF_KIND_DATASET, "bare", "no parameters", NULL, NULL, 0, 0, NULL};

static const lf_desc *const synthetic[] = {&syn, &gce, &lion, &net, &bare};

/* ------------------------------------------------------------------ helpers */
static void parse_ok(const lf_desc *d, const char *args, void *cfg)
{
    lf_status s = lf_spec_parse_args(d, args, cfg);
    if (s != LF_OK) fail_msg("%s:%s -> %s", d->name, args ? args : "(null)", lf_last_error());
}

/* Expects args to fail with a message containing needle. */
static void parse_err(const lf_desc *d, const char *args, const char *needle)
{
    void *cfg = calloc(1, d->cfg_size ? d->cfg_size : 1);
    assert_non_null(cfg);
    tu_expect_error(lf_spec_parse_args(d, args, cfg), LF_EINVAL, needle, args);
    free(cfg);
}

/* cfg -> canonical -> parse -> identical bytes and identical canonical text; returns the text
 * in a static buffer. */
static const char *roundtrip_cfg(const lf_desc *d, const void *cfg)
{
    static char text[8192];
    char again[8192];
    TU_OK(lf_spec_canonical(d, cfg, text, sizeof text));
    size_t n = strlen(d->name);
    if (strncmp(text, d->name, n) || (text[n] != ':' && text[n] != '\0'))
        fail_msg("canonical \"%s\" does not start with \"%s\"", text, d->name);
    void *back = calloc(1, d->cfg_size ? d->cfg_size : 1);
    assert_non_null(back);
    parse_ok(d, text[n] ? text + n + 1 : NULL, back);
    if (d->cfg_size && memcmp(back, cfg, d->cfg_size))
        fail_msg("%s: canonical \"%s\" parses to a different config", d->name, text);
    TU_OK(lf_spec_canonical(d, back, again, sizeof again));
    assert_string_equal(again, text);
    free(back);
    return text;
}

static const char *roundtrip(const lf_desc *d, const char *args)
{
    void *cfg = calloc(1, d->cfg_size ? d->cfg_size : 1);
    assert_non_null(cfg);
    parse_ok(d, args, cfg);
    const char *text = roundtrip_cfg(d, cfg);
    free(cfg);
    return text;
}

/* ------------------------------------------------------------------ values */
static void test_defaults(void **state)
{
    (void)state;
    syn_cfg c;
    parse_ok(&syn, NULL, &c);
    assert_true(c.x == 0.5 && c.q == 0.7);
    assert_int_equal(c.n, 10);
    assert_int_equal(c.flag, 0);
    assert_int_equal(c.act, 1);
    assert_string_equal(c.path, "data/x.csv");
    assert_int_equal(c.hidden.n, 2);
    assert_int_equal(c.hidden.v[0], 256);
    assert_int_equal(c.hidden.v[1], 256);
    net_cfg e;
    parse_ok(&net, NULL, &e);
    assert_int_equal(e.widths.n, 0);
}

static void test_every_type(void **state)
{
    (void)state;
    syn_cfg c;
    parse_ok(&syn, "x=-2.5e-3,q=1,n=1e3,flag=true,act=gelu,path=a;b:c=d.csv,16,32,8", &c);
    assert_true(c.x == -2.5e-3);
    assert_true(c.q == 1.0);
    assert_int_equal(c.n, 1000);
    assert_int_equal(c.flag, 1);
    assert_int_equal(c.act, 2);
    assert_string_equal(c.path, "a;b:c=d.csv");
    assert_int_equal(c.hidden.n, 3);
    assert_int_equal(c.hidden.v[2], 8);
    /* Positional values may come anywhere; they replace the default list. */
    parse_ok(&syn, "act=relu,64,path=,flag=0,128", &c);
    assert_int_equal(c.act, 0);
    assert_string_equal(c.path, "");
    assert_int_equal(c.flag, 0);
    assert_int_equal(c.hidden.n, 2);
    assert_int_equal(c.hidden.v[0], 64);
    assert_int_equal(c.hidden.v[1], 128);
    parse_ok(&syn, "flag=1,n=+7,x=0x1p-2", &c);
    assert_int_equal(c.flag, 1);
    assert_int_equal(c.n, 7);
    assert_true(c.x == 0.25);
    parse_ok(&syn, "flag=false", &c);
    assert_int_equal(c.flag, 0);
    parse_ok(&syn, "hidden=", &c);
    assert_int_equal(c.hidden.n, 0);
}

static void test_number_errors(void **state)
{
    (void)state;
    parse_err(&syn, "x=abc", "model \"syn\": parameter \"x\" expects a number, got \"abc\"");
    parse_err(&syn, "x=1.5x", "expects a number, got \"1.5x\"");
    parse_err(&syn, "x=", "expects a number, got \"\"");
    parse_err(&syn, "x= 1", "expects a number, got \" 1\"");
    parse_err(&lion, "wd=1,5", "positional value \"5\"");
    parse_err(&syn, "x=nan", "parameter \"x\" must be a finite number, got \"nan\"");
    parse_err(&syn, "x=inf", "must be a finite number, got \"inf\"");
    parse_err(&syn, "x=-Infinity", "must be a finite number");
    parse_err(&syn, "x=1e999", "must be a finite number, got \"1e999\"");
    parse_err(&syn, "n=2.5", "parameter \"n\" expects an integer, got \"2.5\"");
    parse_err(&syn, "n=1e300", "expects an integer, got \"1e300\"");
    parse_err(&syn, "n=12a", "expects an integer, got \"12a\"");
    parse_err(&syn, "n=99999999999999999999", "out of the 64-bit range");
    parse_err(&syn, "n=0", "parameter \"n\" must be in [1, 1000000000], got 0");
    parse_err(&syn, "n=1e10", "must be in [1, 1000000000], got 1e10");
    parse_err(&syn, "flag=yes", "parameter \"flag\" expects 0, 1, true or false, got \"yes\"");
    parse_err(&syn, "flag=TRUE", "expects 0, 1, true or false");
    parse_err(&syn, "flag=2", "expects 0, 1, true or false");
    parse_err(&syn, "act=swish", "parameter \"act\" must be one of relu, tanh, gelu; got \"swish\"");
    parse_err(&syn, "act=", "must be one of relu, tanh, gelu");
}

static void test_ranges(void **state)
{
    (void)state;
    void *cfg = malloc(sizeof(syn_cfg));
    assert_non_null(cfg);
    tu_expect_error(lf_spec_parse_args(&gce, "q=1.5", cfg), LF_EINVAL, NULL, "gce q=1.5");
    assert_string_equal(lf_last_error(), "loss \"gce\": parameter \"q\" must be in (0, 1], got 1.5");
    parse_err(&gce, "q=0", "must be in (0, 1], got 0");
    parse_err(&gce, "q=-1e-300", "got -1e-300");
    parse_ok(&gce, "q=1", cfg);
    parse_ok(&gce, "q=1e-300", cfg);
    parse_err(&lion, "wd=-1", "optimizer \"lion\": parameter \"wd\" must be in [0, inf), got -1");
    parse_ok(&lion, "wd=0", cfg);
    parse_ok(&lion, "wd=1e300", cfg);
    parse_err(&lion, "b1=1", "parameter \"b1\" must be in [0, 1), got 1");
    parse_ok(&lion, "b1=0", cfg);
    parse_err(&lion, "b2=0", "parameter \"b2\" must be in (0, 1), got 0");
    parse_err(&lion, "b2=1", "(0, 1), got 1");
    parse_err(&lion, "lr=0", "parameter \"lr\" must be in (0, inf), got 0");
    parse_ok(&syn, "x=-1.7976931348623157e308", cfg);
    free(cfg);
}

static void test_structure_errors(void **state)
{
    (void)state;
    void *cfg = malloc(sizeof(lion_cfg));
    assert_non_null(cfg);
    tu_expect_error(lf_spec_parse_args(&lion, "lr=1e-4,beta1=0.9", cfg), LF_EINVAL, NULL, "");
    assert_string_equal(lf_last_error(),
                        "optimizer \"lion\": unknown parameter \"beta1\"; valid: lr, b1, b2, wd");
    parse_err(&bare, "k=1", "dataset \"bare\": unknown parameter \"k\"; valid: (none)");
    parse_err(&lion, "lr=1,lr=2", "parameter \"lr\" given twice");
    parse_err(&syn, "8,hidden=", "parameter \"hidden\" given twice");
    parse_err(&syn, "hidden=,8", "parameter \"hidden\" given twice");
    parse_err(&lion, "", "empty item in \"\"");
    parse_err(&lion, "lr=1,,wd=0", "empty item in \"lr=1,,wd=0\"");
    parse_err(&lion, "lr=1,", "empty item");
    parse_err(&lion, ",lr=1", "empty item");
    parse_err(&lion, "=1", "empty parameter name in \"=1\"");
    parse_err(&lion, "0.5", "positional value \"0.5\" but no list parameter; write key=value "
                            "with a key of: lr, b1, b2, wd");
    parse_err(&bare, "3", "positional value \"3\"");
    parse_err(&syn, " x=1", "unknown parameter \" x\"");
    parse_err(&syn, "hidden=5", "parameter \"hidden\" is a list: give its values positionally");
    /* Failures leave the caller's config untouched. */
    lion_cfg sentinel;
    memset(&sentinel, 0xAB, sizeof sentinel);
    memcpy(cfg, &sentinel, sizeof sentinel);
    assert_int_not_equal(lf_spec_parse_args(&lion, "lr=1,wd=-1", cfg), LF_OK);
    assert_memory_equal(cfg, &sentinel, sizeof sentinel);
    free(cfg);
}

static void test_intlist(void **state)
{
    (void)state;
    char args[512] = "";
    size_t len = 0;
    for (int i = 1; i <= LF_LIST_MAX; i++)
        len += (size_t)snprintf(args + len, sizeof args - len, "%s%d", i > 1 ? "," : "", i);
    syn_cfg c;
    parse_ok(&syn, args, &c);
    assert_int_equal(c.hidden.n, LF_LIST_MAX);
    for (int i = 0; i < LF_LIST_MAX; i++) assert_int_equal(c.hidden.v[i], i + 1);
    snprintf(args + len, sizeof args - len, ",17");
    parse_err(&syn, args, "parameter \"hidden\" takes at most 16 values");
    parse_err(&syn, "8,0", "parameter \"hidden\" must be in [1, 4096], got 0");
    parse_err(&syn, "8,4097", "got 4097");
    parse_err(&syn, "8,1.5", "parameter \"hidden\" expects an integer, got \"1.5\"");
    parse_ok(&syn, "1e3", &c);
    assert_int_equal(c.hidden.v[0], 1000);
}

static void test_str(void **state)
{
    (void)state;
    char args[LF_STR_MAX + 16];
    int k = snprintf(args, sizeof args, "path=");
    memset(args + k, 'a', LF_STR_MAX - 1);
    args[k + LF_STR_MAX - 1] = '\0';
    syn_cfg c;
    parse_ok(&syn, args, &c);
    assert_int_equal(strlen(c.path), LF_STR_MAX - 1);
    strcat(args, "a");
    parse_err(&syn, args, "parameter \"path\" is 512 characters long; the limit is 511");
    /* ',' cannot be written back, so the canonical form refuses it. */
    parse_ok(&syn, NULL, &c);
    snprintf(c.path, sizeof c.path, "a,b");
    char buf[2048];
    tu_expect_error(lf_spec_canonical(&syn, &c, buf, sizeof buf), LF_EINVAL, "holds ','", "");
}

/* ------------------------------------------------------------------ canonical form */
static void test_canonical_text(void **state)
{
    (void)state;
    assert_string_equal(roundtrip(&syn, NULL),
                        "syn:256,256,x=0.5,q=0.69999999999999996,n=10,flag=false,act=tanh,"
                        "path=data/x.csv");
    assert_string_equal(roundtrip(&syn, "hidden=,flag=1,path=p;q"),
                        "syn:x=0.5,q=0.69999999999999996,n=10,flag=true,act=tanh,path=p;q,"
                        "hidden=");
    assert_string_equal(roundtrip(&net, NULL), "net:dropout=0,widths=");
    assert_string_equal(roundtrip(&net, "512,10,dropout=0.25"), "net:512,10,dropout=0.25");
    assert_string_equal(roundtrip(&bare, NULL), "bare");
    assert_string_equal(roundtrip(&lion, "lr=3e-4,wd=1"),
                        "lion:lr=0.00029999999999999997,b1=0.90000000000000002,"
                        "b2=0.98999999999999999,wd=1");
}

static void test_canonical_exact_doubles(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0.1", "1e-300", "3e-4", "-0", "5e-324", "2.2250738585072014e-308",
        "1.7976931348623157e308", "0.30000000000000004", "0.3333333333333333", "-123456.789e-10"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char args[64];
        snprintf(args, sizeof args, "x=%s", texts[i]);
        syn_cfg a, b;
        parse_ok(&syn, args, &a);
        assert_true(a.x == strtod(texts[i], NULL));
        char canon[4096];
        TU_OK(lf_spec_canonical(&syn, &a, canon, sizeof canon));
        parse_ok(&syn, canon + strlen("syn:"), &b);
        assert_memory_equal(&a.x, &b.x, sizeof a.x);
        assert_memory_equal(&a, &b, sizeof a);
    }
    /* Random finite bit patterns: every double survives canonical -> parse bit-exactly. */
    lf_rng r;
    lf_rng_seed(&r, 7);
    syn_cfg c;
    parse_ok(&syn, NULL, &c);
    int tried = 0;
    while (tried < 2000) {
        uint64_t bits = lf_rng_u64(&r);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v)) continue;
        c.x = v;
        c.n = (int64_t)(lf_rng_below(&r, 1000000000) + 1);
        roundtrip_cfg(&syn, &c);
        tried++;
    }
}

static void test_canonical_errors(void **state)
{
    (void)state;
    syn_cfg c;
    parse_ok(&syn, NULL, &c);
    char want[1024], buf[1024];
    TU_OK(lf_spec_canonical(&syn, &c, want, sizeof want));
    size_t n = strlen(want);
    memset(buf, 'Z', sizeof buf);
    tu_expect_error(lf_spec_canonical(&syn, &c, buf, n), LF_EINVAL, "needs", "short buffer");
    for (size_t i = 0; i < sizeof buf; i++) assert_int_equal(buf[i], 'Z');
    TU_OK(lf_spec_canonical(&syn, &c, buf, n + 1));
    assert_string_equal(buf, want);
    c.x = NAN;
    tu_expect_error(lf_spec_canonical(&syn, &c, buf, sizeof buf), LF_ENUMERIC, "\"x\"", "nan");
    c.x = 0;
    c.act = 3;
    tu_expect_error(lf_spec_canonical(&syn, &c, buf, sizeof buf), LF_EINVAL, "\"act\"", "enum");
    c.act = 0;
    c.flag = 2;
    tu_expect_error(lf_spec_canonical(&syn, &c, buf, sizeof buf), LF_EINVAL, "\"flag\"", "bool");
    c.flag = 0;
    c.hidden.n = LF_LIST_MAX + 1;
    tu_expect_error(lf_spec_canonical(&syn, &c, buf, sizeof buf), LF_EINVAL, "\"hidden\"", "n");
}

/* ------------------------------------------------------------------ locale */
/* A locale whose decimal point is ','. Built with localedef into the scratch dir when the
 * system has none installed; 0 when neither works. */
static int comma_locale(void)
{
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) return 1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1",
             tu_tmpdir());
    if (system(cmd) != 0) return 0;
    setenv("LOCPATH", tu_tmpdir(), 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

static void test_locale_independent(void **state)
{
    (void)state;
    if (!comma_locale()) {
        print_message("no de_DE locale and no localedef: skipped\n");
        skip();
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    int active = !strcmp(probe, "0,5");
    syn_cfg c;
    lf_status s = lf_spec_parse_args(&syn, "x=0.125,q=3e-4", &c);
    char canon[4096] = "";
    lf_status t = s == LF_OK ? lf_spec_canonical(&syn, &c, canon, sizeof canon) : s;
    setlocale(LC_NUMERIC, "C");
    assert_true(active);
    TU_OK(s);
    TU_OK(t);
    assert_true(c.x == 0.125 && c.q == 3e-4);
    assert_non_null(strstr(canon, "x=0.125,q=0.00029999999999999997"));
}

/* ------------------------------------------------------------------ public entry points */
static void test_spec_entry_errors(void **state)
{
    (void)state;
    void *cfg = NULL;
    const lf_desc *d = NULL;
    TU_ERR(lf_spec_parse(LF_KIND_LOSS, "", &d, &cfg), LF_EINVAL, "empty loss spec");
    TU_ERR(lf_spec_parse(LF_KIND_LOSS, NULL, &d, &cfg), LF_EINVAL, "empty loss spec");
    TU_ERR(lf_spec_new(LF_KIND_OPTIM, ":lr=1", &d, &cfg), LF_EINVAL,
           "optimizer spec \":lr=1\" has an empty name");
    TU_ERR(lf_spec_new(LF_KIND_LOSS, "no-such-loss:q=1", &d, &cfg), LF_ENOTFOUND,
           "unknown loss \"no-such-loss\"; known losses: ");
    TU_ERR(lf_spec_new(LF_KIND_COUNT, "x", &d, &cfg), LF_EINVAL, "out of range");
    TU_ERR(lf_spec_new(LF_KIND_LOSS, "x", &d, NULL), LF_EINVAL, "NULL");
    assert_null(d);
    assert_null(cfg);
}

static void test_kind_names(void **state)
{
    (void)state;
    static const char *const want[LF_KIND_COUNT] = {"loss",  "optimizer", "schedule",
                                                    "model", "dataset",   "experiment"};
    for (int k = 0; k < LF_KIND_COUNT; k++) assert_string_equal(lf_kind_name((lf_kind)k), want[k]);
    assert_non_null(lf_kind_name(LF_KIND_COUNT));
}

/* ------------------------------------------------------------------ registry */
static size_t type_size(lf_ptype t)
{
    switch (t) {
    case LF_PT_FLOAT: return sizeof(double);
    case LF_PT_INT: return sizeof(int64_t);
    case LF_PT_BOOL:
    case LF_PT_ENUM: return sizeof(int);
    case LF_PT_STR: return LF_STR_MAX;
    case LF_PT_INTLIST: return sizeof(lf_intlist);
    }
    fail_msg("unknown parameter type %d", (int)t);
    return 0;
}

static void check_descriptor(const lf_desc *d)
{
    if (!d->name || !d->name[0] || strpbrk(d->name, ":,= ") || !d->doc)
        fail_msg("descriptor with a bad name or doc: \"%s\"", d->name ? d->name : "(null)");
    if (d->nparams < 0 || (d->nparams > 0 && !d->params))
        fail_msg("%s: bad parameter table", d->name);
    int lists = 0;
    for (int i = 0; i < d->nparams; i++) {
        const lf_param_desc *p = &d->params[i];
        if (!p->key || !p->key[0] || strpbrk(p->key, ":,= ") || !p->doc)
            fail_msg("%s: parameter %d has a bad key or doc", d->name, i);
        for (int j = 0; j < i; j++)
            if (!strcmp(d->params[j].key, p->key)) fail_msg("%s: key %s twice", d->name, p->key);
        if (p->offset + type_size(p->type) > d->cfg_size)
            fail_msg("%s: parameter %s lies outside the config", d->name, p->key);
        lists += p->type == LF_PT_INTLIST;
    }
    if (lists > 1) fail_msg("%s: %d list parameters (at most 1)", d->name, lists);
}

static void test_registry_walk(void **state)
{
    (void)state;
    int n = lf_registry_count();
    assert_true(n >= 0);
    assert_null(lf_registry_at(-1));
    assert_null(lf_registry_at(n));
    for (size_t i = 0; i < sizeof synthetic / sizeof synthetic[0]; i++) check_descriptor(synthetic[i]);
    for (int i = 0; i < n; i++) {
        const lf_desc *d = lf_registry_at(i);
        assert_non_null(d);
        check_descriptor(d);
        if (i > 0 && d->kind < lf_registry_at(i - 1)->kind)
            fail_msg("%s is out of kind order in LF_REGISTRY", d->name);
        for (int j = 0; j < i; j++)
            if (lf_registry_at(j)->kind == d->kind && !strcmp(lf_registry_at(j)->name, d->name))
                fail_msg("%s %s registered twice", lf_kind_name(d->kind), d->name);
        const lf_desc *found = NULL;
        TU_OK(lf_registry_find(d->kind, d->name, &found));
        assert_ptr_equal(found, d);
        /* Defaults parse (their checks are the user's), and the canonical form round-trips. */
        void *cfg = NULL;
        TU_OK(lf_spec_new(d->kind, d->name, &found, &cfg));
        assert_ptr_equal(found, d);
        const char *canon = roundtrip_cfg(d, cfg);
        void *again = calloc(1, d->cfg_size ? d->cfg_size : 1);
        assert_non_null(again);
        TU_OK(lf_spec_parse(d->kind, canon, &found, again));
        if (d->cfg_size) assert_memory_equal(again, cfg, d->cfg_size);
        free(again);
        free(cfg);
    }
}

static void test_synthetic_roundtrips(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof synthetic / sizeof synthetic[0]; i++)
        roundtrip(synthetic[i], NULL);
    roundtrip(&syn, "x=-0,q=5e-324,n=1000000000,flag=true,act=relu,path=,1,2,3,4,5,6,7,8,9,10,"
                    "11,12,13,14,15,16");
    roundtrip(&lion, "lr=1e300,b1=0,b2=0.999999999999,wd=2.5e-308");
}

static void test_registry_find_errors(void **state)
{
    (void)state;
    const lf_desc *d = NULL;
    TU_ERR(lf_registry_find(LF_KIND_LOSS, "foo", &d), LF_ENOTFOUND,
           "unknown loss \"foo\"; known losses: ");
    TU_ERR(lf_registry_find(LF_KIND_OPTIM, "foo", &d), LF_ENOTFOUND, "known optimizers: ");
    /* Experiments are the harness's (lf_xp_find, tests/test_xp.c): the library has none. */
    TU_ERR(lf_registry_find(LF_KIND_REPRO, "lion-box", &d), LF_ENOTFOUND,
           "known experiments: (none)");
    TU_ERR(lf_registry_find(LF_KIND_LOSS, NULL, &d), LF_EINVAL, "NULL");
    TU_ERR(lf_registry_find((lf_kind)-1, "foo", &d), LF_EINVAL, "out of range");
    assert_null(d);
    /* The list names every registered descriptor of the kind (while it fits the message). */
    for (int k = 0; k < LF_KIND_COUNT; k++) {
        lf_registry_find((lf_kind)k, "foo", &d);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", lf_last_error());
        int any = 0;
        for (int i = 0; i < lf_registry_count(); i++) {
            const lf_desc *r = lf_registry_at(i);
            if (r->kind != (lf_kind)k) continue;
            any = 1;
            if (!strstr(msg, r->name) && !strstr(msg, "...")) fail_msg("\"%s\" lacks %s", msg, r->name);
        }
        if (!any) assert_non_null(strstr(msg, "(none)"));
    }
    /* A name of another kind is pointed out. */
    for (int i = 0; i < lf_registry_count(); i++) {
        const lf_desc *r = lf_registry_at(i);
        lf_kind other = r->kind == LF_KIND_LOSS ? LF_KIND_OPTIM : LF_KIND_LOSS;
        if (lf_registry_find(other, r->name, &d) == LF_OK) continue;
        char want[128];
        snprintf(want, sizeof want, " %s); known", lf_kind_name(r->kind));
        assert_non_null(strstr(lf_last_error(), want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_intlist),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_canonical_text),
        cmocka_unit_test(test_canonical_exact_doubles),
        cmocka_unit_test(test_canonical_errors),
        cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_spec_entry_errors),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_registry_walk),
        cmocka_unit_test(test_synthetic_roundtrips),
        cmocka_unit_test(test_registry_find_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
