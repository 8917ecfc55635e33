/*
 * xmlsafe: make arbitrary bytes fit for an XML 1.0 document.
 *
 * libxml2's writer escapes <, & and " but passes control bytes and invalid
 * UTF-8 through, which makes the document invalid.  Pure; thread-safe.
 */
#ifndef ISOTEST_XMLSAFE_H
#define ISOTEST_XMLSAFE_H

#include <stddef.h>

/*
 * A copy of s[0..len) that is valid UTF-8 made of XML 1.0 characters only:
 * ANSI escape sequences (colours: ESC [ ... letter) are removed, other
 * characters outside XML's Char production and bytes that are not valid
 * UTF-8 become U+FFFD.  The caller frees the result.
 */
char *xmlsafe_text(const char *s, size_t len);

#endif
