/*
 * helpers_xml: the libxml2 utilities that helpers_junit.c and
 * helpers_bench.c share (the tests themselves do not need them).
 */
#ifndef ISOTEST_TESTS_HELPERS_XML_H
#define ISOTEST_TESTS_HELPERS_XML_H

#include <libxml/tree.h>
#include <stdbool.h>

/* Is `n` an element named `name`? */
bool itest_xml_is(const xmlNode *n, const char *name);
/* The attribute's value copied with malloc, or NULL; the caller frees it. */
char *itest_xml_attr(xmlNode *n, const char *name);

#endif
