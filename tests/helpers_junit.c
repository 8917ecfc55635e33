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

static char *find_property(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        if (itest_xml_is(n, "property")) {
            char *k = itest_xml_attr(n, "name");
            bool hit = k && !strcmp(k, name);
            free(k);
            if (hit)
                return itest_xml_attr(n, "value");
        }
        char *r = n->type == XML_ELEMENT_NODE ? find_property(n->children, name)
                                              : NULL;
        if (r)
            return r;
    }
    return NULL;
}

char *itest_junit_property(const char *path, const char *name)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);

    cr_assert(doc, "cannot parse JUnit report '%s'", path);
    char *v = find_property(xmlDocGetRootElement(doc), name);
    xmlFreeDoc(doc);
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

static xmlNode *find_case(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (itest_xml_is(n, "testcase")) {
            char *nm = itest_xml_attr(n, "name");
            bool hit = nm && !strcmp(nm, name);
            free(nm);
            if (hit)
                return n;
        }
        xmlNode *r = find_case(n->children, name);
        if (r)
            return r;
    }
    return NULL;
}

void itest_junit_case(const char *path, const char *name, struct itest_case *c)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);

    memset(c, 0, sizeof(*c));
    cr_assert(doc, "cannot parse JUnit report '%s'", path);
    xmlNode *tc = find_case(xmlDocGetRootElement(doc), name);
    cr_assert(tc, "no testcase named '%s' in %s", name, path);
    c->outcome = xstrdup("passed");
    for (xmlNode *k = tc->children; k; k = k->next) {
        if (itest_xml_is(k, "failure") || itest_xml_is(k, "error") ||
            itest_xml_is(k, "skipped")) {
            free(c->outcome);
            c->outcome = xstrdup((const char *)k->name);
            c->type = itest_xml_attr(k, "type");
            c->message = itest_xml_attr(k, "message");
        } else if (itest_xml_is(k, "system-out") ||
                   itest_xml_is(k, "system-err")) {
            xmlChar *t = xmlNodeGetContent(k);
            char *s = xstrdup(t ? (const char *)t : "");
            xmlFree(t);
            if (itest_xml_is(k, "system-out")) {
                c->out = s;
                c->out_len = strlen(s);
            } else {
                c->err = s;
            }
        }
    }
    if (!c->out)
        c->out = xstrdup("");
    if (!c->err)
        c->err = xstrdup("");
    xmlFreeDoc(doc);
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
