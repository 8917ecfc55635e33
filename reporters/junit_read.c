/*
 * junit_read.c: loading a JUnit report into flat arrays of suites and
 * cases.  Layout: small node helpers, the walk over the tree, then the
 * exported functions.
 */
#include "junit_read.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/*
 * NONET: a report never fetches anything.  HUGE: a suite's captured
 * output can pass libxml2's default 10 MB limit for one text node.
 */
#define PARSE_OPTIONS                                                          \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE)

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* An attribute in malloc'd memory, or NULL when absent. */
static char *attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    char *r = v ? xstrdup((const char *)v) : NULL;

    xmlFree(v);
    return r;
}

static long attr_long(xmlNode *n, const char *name)
{
    char *v = attr(n, name);
    long r = v ? strtol(v, NULL, 10) : 0;

    free(v);
    return r;
}

/* An attribute in seconds, as milliseconds; false when absent. */
static bool attr_ms(xmlNode *n, const char *name, double *ms)
{
    char *v = attr(n, name);

    *ms = v ? strtod(v, NULL) * 1000.0 : 0;
    free(v);
    return v != NULL;
}

/* Room for one more element in an array of n: it doubles at powers of 2. */
static void *grow(void *p, size_t n, size_t size)
{
    if (n & (n - 1))
        return p;
    return xrealloc(p, (n ? 2 * n : 1) * size);
}

static void add_props(struct junit_suite *s, xmlNode *props)
{
    for (xmlNode *p = props->children; p; p = p->next) {
        if (!is(p, "property"))
            continue;
        char *name = attr(p, "name");
        if (!name)
            continue;
        s->props = grow(s->props, s->nprops, sizeof(*s->props));
        s->props[s->nprops].name = name;
        s->props[s->nprops].value = attr(p, "value");
        s->nprops++;
    }
}

static size_t add_suite(struct junit_report *r, xmlNode *n)
{
    r->suites = grow(r->suites, r->nsuites, sizeof(*r->suites));
    struct junit_suite *s = &r->suites[r->nsuites];

    memset(s, 0, sizeof(*s));
    s->name = attr(n, "name");
    for (xmlNode *c = n->children; c; c = c->next)
        if (is(c, "properties"))
            add_props(s, c);
    return r->nsuites++;
}

/* The element that decides the case's outcome, or NULL: it passed. */
static xmlNode *outcome_of(xmlNode *tc, enum junit_outcome *o)
{
    xmlNode *failure = NULL, *skipped = NULL;

    for (xmlNode *c = tc->children; c; c = c->next) {
        if (is(c, "error")) {
            *o = JUNIT_ERROR;
            return c;
        }
        if (is(c, "failure") && !failure)
            failure = c;
        else if (is(c, "skipped") && !skipped)
            skipped = c;
    }
    *o = failure ? JUNIT_FAILURE : skipped ? JUNIT_SKIPPED : JUNIT_PASSED;
    return failure ? failure : skipped;
}

/* Append the text inside n to sb. */
static void add_text(struct strbuf *sb, xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);

    if (t)
        strbuf_addstr(sb, (const char *)t);
    xmlFree(t);
}

/* sb's text in new memory, or NULL when it is empty; sb is released. */
static char *text_or_null(struct strbuf *sb)
{
    char *r = sb->len ? strbuf_detach(sb, NULL) : NULL;

    strbuf_release(sb);
    return r;
}

/* The text of every `element` child of n, joined. */
static char *children_text(xmlNode *n, const char *element)
{
    struct strbuf sb = STRBUF_INIT;

    for (xmlNode *c = n->children; c; c = c->next)
        if (is(c, element))
            add_text(&sb, c);
    return text_or_null(&sb);
}

static void add_case(struct junit_report *r, xmlNode *n, size_t suite)
{
    r->cases = grow(r->cases, r->ncases, sizeof(*r->cases));
    struct junit_case *c = &r->cases[r->ncases++];

    memset(c, 0, sizeof(*c));
    c->classname = attr(n, "classname");
    c->name = attr(n, "name");
    c->file = attr(n, "file");
    c->timed = attr_ms(n, "time", &c->time_ms);
    xmlNode *o = outcome_of(n, &c->outcome);
    if (o) {
        c->type = attr(o, "type");
        c->message = attr(o, "message");
        struct strbuf sb = STRBUF_INIT;
        add_text(&sb, o);
        c->detail = text_or_null(&sb);
    }
    c->out = children_text(n, "system-out");
    c->err = children_text(n, "system-err");
    c->suite = suite;
}

/*
 * Suites may nest (some tools write a <testsuite> per folder); a case
 * belongs to the innermost one.  `suite` is meaningful once in_suite.
 */
static void walk(struct junit_report *r, xmlNode *n, size_t suite,
                 bool in_suite)
{
    for (; n; n = n->next) {
        if (is(n, "testsuites")) {
            double ms;
            if (attr_ms(n, "time", &ms)) {
                r->timed = true;
                r->time_ms = ms;
            }
            walk(r, n->children, suite, in_suite);
        } else if (is(n, "testsuite")) {
            size_t k = add_suite(r, n);
            walk(r, n->children, k, true);
        } else if (is(n, "testcase") && in_suite) {
            add_case(r, n, suite);
        }
    }
}

/* The parser's own words for why the text is not XML, without the \n. */
static int not_xml(xmlParserCtxtPtr ctxt, const char *path,
                   struct isotest_err *e)
{
    const xmlError *x = ctxt ? xmlCtxtGetLastError(ctxt) : NULL;
    const char *msg = x && x->message ? x->message : "no document";
    size_t len = strlen(msg);

    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    return err_set(e,
                   "'%s' is not a JUnit report: it is not XML (line %d: %.*s)",
                   path, x ? x->line : 0, (int)len, msg);
}

static xmlDoc *parse(const char *path, struct isotest_err *e)
{
    char *text;
    size_t len;

    if (fs_read_file(path, &text, &len, e) < 0) {
        err_prefix(e, "cannot read JUnit report");
        return NULL;
    }
    if (len > (size_t)INT_MAX) {
        free(text);
        err_set(e, "'%s' is not a JUnit report: it is over 2 GiB", path);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDoc *doc = ctxt ? xmlCtxtReadMemory(ctxt, text, (int)len, path, NULL,
                                           PARSE_OPTIONS)
                       : NULL;
    if (!doc)
        not_xml(ctxt, path, e);
    xmlFreeParserCtxt(ctxt);
    free(text);
    return doc;
}

int junit_read_load(struct junit_report *r, const char *path,
                    struct isotest_err *e)
{
    memset(r, 0, sizeof(*r));
    xmlDoc *doc = parse(path, e);
    if (!doc)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !(is(root, "testsuites") || is(root, "testsuite"))) {
        err_set(e,
                "'%s' is not a JUnit report: its root element is <%s>, "
                "not <testsuites> or <testsuite>",
                path, root ? (const char *)root->name : "");
        xmlFreeDoc(doc);
        return -1;
    }
    r->tests = attr_long(root, "tests");
    r->failures = attr_long(root, "failures");
    r->errors = attr_long(root, "errors");
    walk(r, root, 0, false);
    xmlFreeDoc(doc);
    return 0;
}

/* The id= that junit.c puts at the end of the first system-out line. */
static char *written_id(const char *out)
{
    static const char pre[] = "[isotest] file=";
    const char *nl = out ? strchr(out, '\n') : NULL;

    if (!nl || strncmp(out, pre, sizeof(pre) - 1))
        return NULL;
    const char *rl = strstr(out, " release_ms=");
    const char *id = rl && rl < nl ? strstr(rl, " id=") : NULL;
    if (!id || id > nl || id + 4 == nl)
        return NULL;
    return xstrndup(id + 4, (size_t)(nl - id - 4));
}

char *junit_read_case_id(const struct junit_report *r,
                         const struct junit_case *c)
{
    const char *classname = c->classname ? c->classname : "";
    const char *suite = c->suite < r->nsuites ? r->suites[c->suite].name : NULL;
    char *id = written_id(c->out);

    if (id)
        return id;
    if (!suite || !*suite)
        suite = classname;
    struct strbuf sb = STRBUF_INIT;
    size_t sl = strlen(suite);
    const char *rest = classname;
    /* The suite's name stays whole, dots and all. */
    if (!strncmp(classname, suite, sl) &&
        (classname[sl] == '\0' || classname[sl] == '.')) {
        strbuf_addstr(&sb, suite);
        rest = classname + sl;
    }
    for (const char *p = rest; *p; p++)
        strbuf_addch(&sb, *p == '.' && p != classname ? '/' : *p);
    strbuf_addf(&sb, "/%s", c->name ? c->name : "");
    return strbuf_detach(&sb, NULL);
}

void junit_read_release(struct junit_report *r)
{
    for (size_t i = 0; i < r->nsuites; i++) {
        for (size_t k = 0; k < r->suites[i].nprops; k++) {
            free(r->suites[i].props[k].name);
            free(r->suites[i].props[k].value);
        }
        free(r->suites[i].props);
        free(r->suites[i].name);
    }
    for (size_t i = 0; i < r->ncases; i++) {
        struct junit_case *c = &r->cases[i];
        free(c->classname);
        free(c->name);
        free(c->file);
        free(c->type);
        free(c->message);
        free(c->detail);
        free(c->out);
        free(c->err);
    }
    free(r->suites);
    free(r->cases);
    memset(r, 0, sizeof(*r));
}

const char *junit_read_property(const struct junit_report *r, size_t suite,
                                const char *name)
{
    if (suite >= r->nsuites)
        return NULL;
    const struct junit_suite *s = &r->suites[suite];
    for (size_t k = 0; k < s->nprops; k++)
        if (!strcmp(s->props[k].name, name))
            return s->props[k].value;
    return NULL;
}
