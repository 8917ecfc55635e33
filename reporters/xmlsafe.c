/*
 * xmlsafe.c: UTF-8 validation and XML character filtering.
 */
#include "xmlsafe.h"
#include "common/strbuf.h"

#include <stdbool.h>
#include <stdint.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

static bool xml_char(uint32_t c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/*
 * Decode one UTF-8 sequence at s (n bytes left).  Returns its length and
 * the code point in *cp, or 0 when it is not valid (overlong forms,
 * surrogates and values past U+10FFFF are not).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        c = s[0] & 0x1F;
        len = 2;
    } else if ((s[0] & 0xF0) == 0xE0) {
        c = s[0] & 0x0F;
        len = 3;
    } else if ((s[0] & 0xF8) == 0xF0) {
        c = s[0] & 0x07;
        len = 4;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
        (len == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

char *xmlsafe_text(const char *s, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        /* ESC [ params intermediates final: a colour or cursor sequence. */
        if (u[i] == 0x1B && i + 1 < len && u[i + 1] == '[') {
            size_t j = i + 2;
            while (j < len && u[j] >= 0x30 && u[j] <= 0x3F)
                j++;
            while (j < len && u[j] >= 0x20 && u[j] <= 0x2F)
                j++;
            if (j < len && u[j] >= 0x40 && u[j] <= 0x7E) {
                i = j + 1;
                continue;
            }
        }
        uint32_t cp;
        size_t n = utf8_decode(u + i, len - i, &cp);
        if (n == 0) {
            strbuf_addstr(&sb, replacement);
            i++;
            continue;
        }
        if (xml_char(cp))
            strbuf_add(&sb, u + i, n);
        else
            strbuf_addstr(&sb, replacement);
        i += n;
    }
    return strbuf_detach(&sb, NULL);
}
