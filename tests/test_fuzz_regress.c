/* Replays the fuzz harnesses (tests/fuzz/fuzz_*.c) on every committed input: the seed corpora
 * tests/fuzz/corpus/<name>/ and the crashes fuzzing found, tests/fuzz/regress/<name>-<what>.
 * A harness aborts (or a sanitizer reports, in the LF_SANITIZE build) on a finding, so a fixed
 * crash that comes back fails here. */
#include "testutil.h"
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*harness_fn)(const uint8_t *, size_t);

static const struct {
    const char *name;
    harness_fn fn;
} harnesses[] = {
#define LF_FUZZ_ROW(name) {#name, lf_fuzz_##name},
    LF_FUZZ_HARNESSES(LF_FUZZ_ROW)
#undef LF_FUZZ_ROW
};
#define NHARNESS ((int)(sizeof harnesses / sizeof harnesses[0]))

static void replay(harness_fn fn, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("cannot read %s", path);
    fclose(f);
    fn(buf, (size_t)n);
    free(buf);
}

/* Files of dir whose name starts with prefix (all when prefix is ""); returns the count. */
static int replay_dir(harness_fn fn, const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int count = 0;
    char path[2048];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        replay(fn, path);
        count++;
    }
    closedir(d);
    return count;
}

static void replay_all(void **state)
{
    (void)state;
    char dir[1024], prefix[64];
    int total = 0;
    for (int i = 0; i < NHARNESS; i++) {
        snprintf(dir, sizeof dir, "%s/corpus/%s", LF_FUZZ_DIR, harnesses[i].name);
        int seeds = replay_dir(harnesses[i].fn, dir, "");
        if (seeds == 0) fail_msg("harness %s has no seed corpus in %s", harnesses[i].name, dir);
        snprintf(dir, sizeof dir, "%s/regress", LF_FUZZ_DIR);
        snprintf(prefix, sizeof prefix, "%s-", harnesses[i].name);
        total += seeds + replay_dir(harnesses[i].fn, dir, prefix);
    }
    printf("replayed %d inputs through %d harnesses\n", total, NHARNESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(replay_all)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
