/*
 * test_xmlout.c: XML documents built in memory and written atomically
 * (reporters/xmlout.h).
 *
 * Covers: the exact bytes of a small document (declaration, two-space
 * indent, escaping, a NULL attribute); strings that break naive XML
 * (table: control bytes, colour sequences, invalid UTF-8, markup) still
 * make a document libxml2's strict parser accepts with the expected
 * text; an existing file replaced whole; a large document; failures that
 * name the path and leave nothing behind (missing folder, a folder where
 * the file should go, a writer error kept to the end).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/xmlout.h"
#include "unit_tmp.h"

#define FFFD "\xef\xbf\xbd"

UNIT_TMP_FOLDER("/tmp/isotest-xmlout-XXXXXX")

/* Names in folder dir, besides "." and "..". */
static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    cr_assert_not_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *text;
    size_t len;

    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    return text;
}

Test(xmlout, exact_document, .init = make_tmp, .fini = remove_tmp)
{
    char *path = xasprintf("%s/doc.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct xmlout o;

    xmlout_init(&o);
    xmlout_start(&o, "testsuites");
    xmlout_attr(&o, "name", "a<b&\"c\"");
    xmlout_start(&o, "properties");
    xmlout_property(&o, "k", "v");
    xmlout_property(&o, "empty", NULL);
    xmlout_end(&o);
    xmlout_start(&o, "system-out");
    xmlout_text(&o, "x < y & z", 9);
    xmlout_end(&o);
    xmlout_end(&o);
    cr_assert_eq(xmlout_save(&o, path, &e), 0, "%s", e.msg);
    char *got = slurp(path);
    cr_assert_str_eq(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<testsuites name=\"a&lt;b&amp;&quot;c&quot;\">\n"
                          "  <properties>\n"
                          "    <property name=\"k\" value=\"v\"/>\n"
                          "    <property name=\"empty\" value=\"\"/>\n"
                          "  </properties>\n"
                          "  <system-out>x &lt; y &amp; z</system-out>\n"
                          "</testsuites>\n");
    cr_assert_eq(entries(tmp), 1, "a temporary file was left in %s", tmp);
    free(got);
    free(path);
}

struct dirty_case {
    char label[16];
    char in[24];
    size_t len; /* 0: strlen(in) */
    char want[32];
};

ParameterizedTestParameters(xmlout, dirty_strings)
{
    static struct dirty_case cases[] = {
        {"plain", "hello", 0, "hello"},
        {"markup", "<a href='x'>&amp;", 0, "<a href='x'>&amp;"},
        {"colour", "\x1b[31mred\x1b[0m", 0, "red"},
        {"nul", "a\0b", 3, "a" FFFD "b"},
        {"control", "a\001b\037c", 0, "a" FFFD "b" FFFD "c"},
        {"bad_utf8", "a\xff\xc0z", 0, "a" FFFD FFFD "z"},
        {"utf8", "caf\xc3\xa9", 0, "caf\xc3\xa9"},
        {"tab_newline", "a\tb\nc", 0, "a\tb\nc"},
    };

    return cr_make_param_array(struct dirty_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dirty_case *c, xmlout, dirty_strings, .init = make_tmp,
                  .fini = remove_tmp)
{
    char *path = xasprintf("%s/doc.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    size_t len = c->len ? c->len : strlen(c->in);
    char *in = xstrndup(c->in, len); /* NUL-terminated for xmlout_attr */
    struct xmlout o;

    xmlout_init(&o);
    xmlout_start(&o, "doc");
    xmlout_attr(&o, "a", in);
    xmlout_text(&o, c->in, len);
    xmlout_end(&o);
    cr_assert_eq(xmlout_save(&o, path, &e), 0, "%s", e.msg);
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert_not_null(doc, "%s: not well-formed", c->label);
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlChar *text = xmlNodeGetContent(root);
    cr_assert_str_eq((const char *)text, c->want, "%s: text", c->label);
    xmlFree(text);
    if (c->len == 0) { /* an attribute stops at the first NUL */
        xmlChar *a = xmlGetProp(root, BAD_CAST "a");
        cr_assert_str_eq((const char *)a, c->want, "%s: attribute", c->label);
        xmlFree(a);
    }
    xmlFreeDoc(doc);
    free(in);
    free(path);
}

Test(xmlout, replaces_an_existing_file_whole, .init = make_tmp,
     .fini = remove_tmp)
{
    char *path = xasprintf("%s/doc.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct strbuf old = STRBUF_INIT;
    struct xmlout o;

    for (int i = 0; i < 10000; i++)
        strbuf_addstr(&old, "an older, longer report\n");
    cr_assert_eq(fs_write_atomic(path, old.buf, old.len, &e), 0, "%s", e.msg);
    xmlout_init(&o);
    xmlout_start(&o, "new");
    xmlout_end(&o);
    cr_assert_eq(xmlout_save(&o, path, &e), 0, "%s", e.msg);
    char *got = slurp(path);
    cr_assert_str_eq(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<new/>\n");
    cr_assert_eq(entries(tmp), 1);
    free(got);
    strbuf_release(&old);
    free(path);
}

Test(xmlout, large_document, .init = make_tmp, .fini = remove_tmp)
{
    enum { N = 20000 };
    char *path = xasprintf("%s/doc.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct strbuf chunk = STRBUF_INIT;
    struct xmlout o;

    for (int i = 0; i < 100; i++)
        strbuf_addstr(&chunk, "0123456789");
    xmlout_init(&o);
    xmlout_start(&o, "doc");
    for (int i = 0; i < N; i++) {
        xmlout_start(&o, "item");
        xmlout_text(&o, chunk.buf, chunk.len);
        xmlout_end(&o);
    }
    xmlout_end(&o);
    cr_assert_eq(xmlout_save(&o, path, &e), 0, "%s", e.msg);
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    cr_assert_not_null(doc);
    size_t items = 0;
    for (xmlNode *n = xmlDocGetRootElement(doc)->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            items++;
    cr_assert_eq(items, N);
    xmlFreeDoc(doc);
    strbuf_release(&chunk);
    free(path);
}

enum failure { MISSING_FOLDER, FOLDER_IN_THE_WAY, WRITER_ERROR };

struct failure_case {
    char label[24];
    enum failure what;
    size_t left; /* entries of tmp afterwards */
};

ParameterizedTestParameters(xmlout, failures)
{
    static struct failure_case cases[] = {
        {"missing_folder", MISSING_FOLDER, 0},
        {"folder_in_the_way", FOLDER_IN_THE_WAY, 1},
        {"writer_error", WRITER_ERROR, 0},
    };

    return cr_make_param_array(struct failure_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct failure_case *c, xmlout, failures, .init = make_tmp,
                  .fini = remove_tmp)
{
    char *path = xasprintf(
        c->what == MISSING_FOLDER ? "%s/missing/doc.xml" : "%s/doc.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct xmlout o;

    if (c->what == FOLDER_IN_THE_WAY)
        cr_assert_eq(mkdir(path, 0700), 0);
    xmlout_init(&o);
    xmlout_start(&o, "doc");
    xmlout_end(&o);
    if (c->what == WRITER_ERROR) {
        xmlout_end(&o); /* nothing left to end: the writer refuses */
        xmlout_start(&o, "ignored");
    }
    cr_assert_eq(xmlout_save(&o, path, &e), -1, "%s: saved", c->label);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, path), "%s: '%s' does not name '%s'",
                       c->label, e.msg, path);
    cr_assert_eq(entries(tmp), c->left, "%s: something was left in %s",
                 c->label, tmp);
    isotest_err_release(&e);
    free(path);
}
