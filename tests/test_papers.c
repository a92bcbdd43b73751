/* The papers table: complete, unique, consistent, and every descriptor's paper is in it. */
#include "testutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const expected_keys[] = {
    "lion",    "compsum",   "martingale",    "anyloss", "ftrl-logbarrier", "oomd",
    "deeponet", "neucb",    "onevae",        "aggregate", "susana",        "ood-unlabeled",
    "rbocpd",  "ldr",       "dcdm",          "ms",      "ensloss",         "km-censored",
    "drakes",  "dkvb",      "dcc",           "hpo-activation", "universality"};

enum { NEXPECTED = (int)(sizeof expected_keys / sizeof expected_keys[0]) };

static void test_count_and_keys(void **state)
{
    (void)state;
    assert_int_equal(NEXPECTED, 23);
    assert_int_equal(lf_paper_count(), NEXPECTED);
    for (int i = 0; i < NEXPECTED; i++) {
        const lf_paper *p = lf_paper_find(expected_keys[i]);
        if (!p) fail_msg("paper \"%s\" missing", expected_keys[i]);
        assert_string_equal(p->key, expected_keys[i]);
    }
    for (int i = 0; i < lf_paper_count(); i++)
        for (int j = i + 1; j < lf_paper_count(); j++)
            if (!strcmp(lf_paper_at(i)->key, lf_paper_at(j)->key))
                fail_msg("duplicate paper key \"%s\"", lf_paper_at(i)->key);
}

static void test_lookup_bounds(void **state)
{
    (void)state;
    assert_null(lf_paper_at(-1));
    assert_null(lf_paper_at(lf_paper_count()));
    assert_null(lf_paper_find("no-such-paper"));
    assert_null(lf_paper_find(NULL));
    assert_null(lf_paper_find(""));
    for (int i = 0; i < lf_paper_count(); i++)
        assert_ptr_equal(lf_paper_find(lf_paper_at(i)->key), lf_paper_at(i));
}

/* "yymm.nnnnn" (or the 4-digit numbers before 2015), and yymm agrees with the year. */
static void check_arxiv(const lf_paper *p)
{
    const char *a = p->arxiv;
    if (!a[0]) return;
    size_t n = strlen(a);
    if (n < 9 || n > 10 || a[4] != '.') fail_msg("%s: arXiv id \"%s\" malformed", p->key, a);
    for (size_t i = 0; i < n; i++)
        if (i != 4 && !isdigit((unsigned char)a[i]))
            fail_msg("%s: arXiv id \"%s\" malformed", p->key, a);
    int yy = (a[0] - '0') * 10 + (a[1] - '0'), mm = (a[2] - '0') * 10 + (a[3] - '0');
    if (yy != p->year % 100 || mm < 1 || mm > 12)
        fail_msg("%s: arXiv id \"%s\" does not match year %d", p->key, a, p->year);
}

static void test_fields(void **state)
{
    (void)state;
    int with_arxiv = 0;
    for (int i = 0; i < lf_paper_count(); i++) {
        const lf_paper *p = lf_paper_at(i);
        assert_non_null(p->title);
        assert_non_null(p->authors);
        assert_non_null(p->arxiv);
        assert_non_null(p->repro);
        if (!p->title[0] || !p->authors[0] || !p->repro[0])
            fail_msg("paper \"%s\" has an empty title, authors or repro", p->key);
        if (p->year < 2015 || p->year > 2026) fail_msg("%s: year %d", p->key, p->year);
        check_arxiv(p);
        with_arxiv += p->arxiv[0] != '\0';
    }
    /* All 23 ids were confirmed against arXiv listings; spot-check a few. */
    assert_int_equal(with_arxiv, lf_paper_count());
    assert_string_equal(lf_paper_find("lion")->arxiv, "2310.05898");
    assert_string_equal(lf_paper_find("ms")->arxiv, "1904.06627");
    assert_string_equal(lf_paper_find("dcc")->arxiv, "2202.02916");
    assert_non_null(strstr(lf_paper_find("lion")->repro, "lion-box"));
}

static void test_descriptor_papers_known(void **state)
{
    (void)state;
    for (int i = 0; i < lf_registry_count(); i++) {
        const lf_desc *d = lf_registry_at(i);
        if (d->paper && !lf_paper_find(d->paper))
            fail_msg("%s \"%s\" cites unknown paper \"%s\"", lf_kind_name(d->kind), d->name,
                     d->paper);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_keys),
        cmocka_unit_test(test_lookup_bounds),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_descriptor_papers_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
