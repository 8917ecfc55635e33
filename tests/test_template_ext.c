/*
 * test_template_ext.c: the template comment's extension entries
 * (isolation/template.h, template_ext_add): hex name, schema and version,
 * any byte in them; a malformed entry is left out.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "isolation/template.h"

Test(template_ext, entries_decode_in_order)
{
    struct template tpl;

    memset(&tpl, 0, sizeof(tpl));
    /* uuid-ossp in "my schema" at 1.1; citext in x at 1.6. */
    template_ext_add(&tpl, "757569642d6f737370 6d7920736368656d61 312e31");
    template_ext_add(&tpl, "636974657874 78 312e36");
    cr_assert_eq(tpl.n_ext, 2);
    cr_expect_str_eq(tpl.extensions[0], "uuid-ossp");
    cr_expect_str_eq(tpl.ext_schemas[0], "my schema");
    cr_expect_str_eq(tpl.ext_versions[0], "1.1");
    cr_expect_str_eq(tpl.extensions[1], "citext");
    cr_expect_str_eq(tpl.ext_schemas[1], "x");
    cr_expect_str_eq(tpl.ext_versions[1], "1.6");
    template_release(&tpl);
    cr_expect_eq(tpl.n_ext, 0);
}

Test(template_ext, malformed_entries_are_left_out)
{
    struct template tpl;

    memset(&tpl, 0, sizeof(tpl));
    template_ext_add(&tpl, "");
    template_ext_add(&tpl, "636974657874");
    template_ext_add(&tpl, "636974657874 78");
    cr_expect_eq(tpl.n_ext, 0);
    template_release(&tpl);
}
