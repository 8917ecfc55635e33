/*
 * test_template_suite.c: what tells one suite's templates from another's
 * (isolation/template.h): the comment's fields, read leniently
 * (template_comment_field), and the suite key (template_suite_key): the
 * suite's name or the migrations folder's absolute path, with the
 * extensions.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "isolation/template.h"

/* Strings live in the struct: parameters are copied between processes. */
struct field_case {
    char comment[96], key[32];
    bool found;
    char want[32];
};

ParameterizedTestParameters(template_suite, comment_fields)
{
    static struct field_case cases[] = {
        {"isotest template; extensions (hex): 61 62 63; suite: 0123abcd",
         "suite", true, "0123abcd"},
        {"isotest template; extensions (hex): 61 62 63; suite: 0123abcd",
         "extensions (hex)", true, "61 62 63"},
        /* Fields in any order; unknown ones skipped. */
        {"isotest template; suite: ff; built by: x; extensions (hex): ",
         "suite", true, "ff"},
        {"isotest template; suite: ff; built by: x; extensions (hex): ",
         "extensions (hex)", true, ""},
        /* An older template: no suite field. */
        {"isotest template; extensions (hex): 61 62 63,64 65 66", "suite",
         false, ""},
        {"isotest template; extensions (hex): 61 62 63,64 65 66",
         "extensions (hex)", true, "61 62 63,64 65 66"},
        /* Not a field: a key inside a value, a prefix of a key. */
        {"isotest template; notes: suite: 12", "suite", false, ""},
        {"isotest template; suites: 12", "suite", false, ""},
        {"", "suite", false, ""},
        {"a comment a user wrote", "suite", false, ""},
    };
    return cr_make_param_array(struct field_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct field_case *c, template_suite, comment_fields)
{
    char *v = template_comment_field(c->comment, c->key);

    if (c->found)
        cr_expect_str_eq(v ? v : "(none)", c->want, "'%s' in '%s'", c->key,
                         c->comment);
    else
        cr_expect_null(v, "'%s' in '%s': '%s'", c->key, c->comment, v);
    free(v);
}

static void key_of(const char *suite, const char *dir, const char *const *ext,
                   size_t n_ext, char out[TEMPLATE_SUITE_LEN + 1])
{
    struct migrate_set ms = {.dir = (char *)dir};
    struct template_spec spec = {.ms = dir ? &ms : NULL,
                                 .extensions = ext,
                                 .n_ext = n_ext,
                                 .suite = suite};

    template_suite_key(&spec, out);
}

Test(template_suite, key_follows_the_suite_and_the_extensions)
{
    static const char *const pgtap[] = {"pgtap"};
    char a[TEMPLATE_SUITE_LEN + 1], b[TEMPLATE_SUITE_LEN + 1];

    key_of("one", NULL, NULL, 0, a);
    cr_expect_eq(strlen(a), TEMPLATE_SUITE_LEN);
    cr_expect_eq(strspn(a, "0123456789abcdef"), TEMPLATE_SUITE_LEN, "%s", a);
    key_of("one", NULL, NULL, 0, b);
    cr_expect_str_eq(a, b, "not stable");
    key_of("two", NULL, NULL, 0, b);
    cr_expect_str_neq(a, b, "two suites, one key");
    key_of("one", NULL, pgtap, 1, b);
    cr_expect_str_neq(a, b, "the extensions do not count");
    /* A given suite wins over the migrations folder. */
    key_of("one", "/tmp", NULL, 0, b);
    cr_expect_str_eq(a, b);
}

Test(template_suite, key_of_a_folder_is_its_absolute_path)
{
    char a[TEMPLATE_SUITE_LEN + 1], b[TEMPLATE_SUITE_LEN + 1];
    char cwd[4096];

    cr_assert(getcwd(cwd, sizeof(cwd)));
    key_of(NULL, "tests/fixtures", NULL, 0, a);
    char *abs = xasprintf("%s/tests/fixtures", cwd);
    key_of(NULL, abs, NULL, 0, b);
    free(abs);
    cr_expect_str_eq(a, b, "relative and absolute paths differ");
    key_of(NULL, "tests", NULL, 0, b);
    cr_expect_str_neq(a, b);
    /* No suite and no migrations: no key, nothing retired. */
    key_of(NULL, NULL, NULL, 0, a);
    cr_expect_str_empty(a);
}
