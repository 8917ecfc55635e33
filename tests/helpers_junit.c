/*
 * helpers_junit.c: reading the JUnit reports isotest writes -- validated
 * against the schema, counted, and searched for a property or a testcase.
 * See helpers.h for the contract.
 *
 * Layout: XML utilities; the whole report; properties and the run id;
 * one testcase.
 */
#include "helpers.h"
#include "helpers_xml.h"
#include "reporters/junit_read.h"

#include "common/proc.h"
#include "common/strbuf.h"

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The Jenkins xunit schema, kept in the repository (MIT, header inside). */
#define XSD "reporters/junit-10.xsd"

/* ---- XML utilities ------------------------------------------------------ */

bool itest_xml_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

char *itest_xml_attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    char *r = v ? xstrdup((const char *)v) : NULL;

    xmlFree(v);
    return r;
}

/* ---- the whole report --------------------------------------------------- */

static void validate_xsd(const char *path)
{
    cr_assert(access(XSD, R_OK) == 0,
              "%s not found: the tests run from the repository root", XSD);
    const char *argv[] = {"xmllint", "--noout", "--schema", XSD, path, NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status ps;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_run(argv, &out, &ps, &e) == 0, "cannot run xmllint: %s",
              e.msg);
    cr_assert(ps.exited && ps.code == 0, "%s is not valid JUnit XML:\n%s", path,
              out.buf);
    strbuf_release(&out);
}

/* Read a required numeric attribute of a testsuite. */
static long count_attr(xmlNode *n, const char *name, bool required)
{
    char *v = itest_xml_attr(n, name);

    if (!v) {
        cr_assert(!required, "testsuite without attribute '%s'", name);
        return -1;
    }
    char *end;
    long r = strtol(v, &end, 10);
    cr_assert(*v && !*end && r >= 0, "testsuite %s=\"%s\" is not a count", name,
              v);
    free(v);
    return r;
}

/* Every time attribute below n reads like 0.123. */
static void check_times(xmlNode *n, const regex_t *re)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        char *t = itest_xml_attr(n, "time");
        if (t) {
            cr_assert(regexec(re, t, 0, NULL, 0) == 0,
                      "<%s time=\"%s\">: not seconds with 3 decimals",
                      (const char *)n->name, t);
            free(t);
        }
        check_times(n->children, re);
    }
}

static void check_suite(xmlNode *suite, struct itest_junit *c)
{
    long cases = 0, failures = 0, errors = 0, skipped = 0;
    char *name = itest_xml_attr(suite, "name");

    cr_assert(name && *name, "testsuite without a name");
    free(name);
    for (xmlNode *tc = suite->children; tc; tc = tc->next) {
        if (!itest_xml_is(tc, "testcase"))
            continue;
        cases++;
        static const char *const required[] = {"name", "classname", "time"};
        for (size_t i = 0; i < 3; i++) {
            char *v = itest_xml_attr(tc, required[i]);
            cr_assert(v && *v, "testcase without attribute '%s'", required[i]);
            free(v);
        }
        for (xmlNode *k = tc->children; k; k = k->next) {
            failures += itest_xml_is(k, "failure");
            errors += itest_xml_is(k, "error");
            skipped += itest_xml_is(k, "skipped");
        }
    }
    long t = count_attr(suite, "tests", true);
    long f = count_attr(suite, "failures", true);
    long e = count_attr(suite, "errors", true);
    long s = count_attr(suite, "skipped", false);
    cr_assert(t == cases && f == failures && e == errors,
              "testsuite says tests=%ld failures=%ld errors=%ld, its "
              "testcases say %ld, %ld, %ld",
              t, f, e, cases, failures, errors);
    cr_assert(s < 0 || s == skipped, "testsuite skipped=%ld, testcases %ld", s,
              skipped);
    c->tests += t;
    c->failures += f;
    c->errors += e;
    c->skipped += skipped;
}

void itest_junit_check(const char *path, struct itest_junit *counts)
{
    regex_t re;

    memset(counts, 0, sizeof(*counts));
    validate_xsd(path);
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert(doc, "cannot parse JUnit report '%s'", path);
    xmlNode *root = xmlDocGetRootElement(doc);
    cr_assert(root && (itest_xml_is(root, "testsuites") ||
                       itest_xml_is(root, "testsuite")),
              "'%s' has no testsuites root element", path);

    cr_assert(regcomp(&re, "^[0-9]+\\.[0-9]{3}$", REG_EXTENDED | REG_NOSUB) ==
              0);
    check_times(root, &re);
    regfree(&re);

    size_t nsuites = 0;
    if (itest_xml_is(root, "testsuite")) {
        check_suite(root, counts);
        nsuites = 1;
    }
    for (xmlNode *s = root->children; s; s = s->next)
        if (itest_xml_is(s, "testsuite")) {
            check_suite(s, counts);
            nsuites++;
        }
    cr_assert(nsuites > 0, "'%s' holds no testsuite", path);
    xmlFreeDoc(doc);
}

/* ---- properties and the run id ------------------------------------------ */

char *itest_junit_property(const char *path, const char *name)
{
    struct junit_report r;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *v = NULL;

    cr_assert_eq(junit_read_load(&r, path, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < r.nsuites && !v; i++) {
        const char *p = junit_read_property(&r, i, name);
        if (p)
            v = xstrdup(p);
    }
    junit_read_release(&r);
    return v;
}

char *itest_junit_runid(const char *path)
{
    char *text = itest_read_file(path);
    static const char key[] = "sandbox=isotest_";
    char *p = strstr(text, key);
    char *id = NULL;

    if (p) {
        p += strlen(key);
        size_t n = strspn(p, "0123456789abcdef");
        if (n == 8 && p[8] == '_')
            id = xstrndup(p, 8);
    }
    free(text);
    return id;
}

/* ---- one testcase ------------------------------------------------------- */

static const char *const outcome_names[] = {
    [JUNIT_PASSED] = "passed",
    [JUNIT_FAILURE] = "failure",
    [JUNIT_ERROR] = "error",
    [JUNIT_SKIPPED] = "skipped",
};

void itest_junit_case(const char *path, const char *name, struct itest_case *c)
{
    struct junit_report r;
    struct isotest_err e = ISOTEST_ERR_INIT;
    const struct junit_case *tc = NULL;

    memset(c, 0, sizeof(*c));
    cr_assert_eq(junit_read_load(&r, path, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < r.ncases && !tc; i++)
        if (r.cases[i].name && !strcmp(r.cases[i].name, name))
            tc = &r.cases[i];
    cr_assert(tc, "no testcase named '%s' in %s", name, path);
    c->outcome = xstrdup(outcome_names[tc->outcome]);
    c->type = tc->type ? xstrdup(tc->type) : NULL;
    c->message = tc->message ? xstrdup(tc->message) : NULL;
    c->out = xstrdup(tc->out ? tc->out : "");
    c->out_len = strlen(c->out);
    c->err = xstrdup(tc->err ? tc->err : "");
    junit_read_release(&r);
}

void itest_case_release(struct itest_case *c)
{
    free(c->outcome);
    free(c->type);
    free(c->message);
    free(c->out);
    free(c->err);
}

void itest_assert_case(const char *junit, const char *name, const char *outcome,
                       const char *msg)
{
    struct itest_case c;

    itest_junit_case(junit, name, &c);
    cr_assert_str_eq(c.outcome, outcome, "%s: outcome %s (%s), expected %s",
                     name, c.outcome, c.message ? c.message : "", outcome);
    if (msg)
        cr_assert(c.message && strstr(c.message, msg),
                  "%s: message '%s' does not contain '%s'", name,
                  c.message ? c.message : "(none)", msg);
    itest_case_release(&c);
}
