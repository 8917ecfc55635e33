/*
 * test_xmlsafe.c: making bytes fit for XML 1.0 (reporters/xmlsafe.h).
 *
 * Exact cases (table): colour sequences removed, C0 controls and NUL
 * replaced, TAB/LF/CR/DEL and valid multibyte text kept.  Invalid UTF-8
 * (table): the bad bytes become one or more U+FFFD and the text around them
 * survives.  Finally every byte pair and a pseudo-random blob go through
 * xmlsafe_text and libxml2's strict parser must accept the result.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "reporters/xmlsafe.h"

#define FFFD "\xef\xbf\xbd"

/* Octal escapes where a letter follows: "\x1bb" would be one hex escape. */
struct exact_case {
    char label[24];
    char in[40];
    size_t len; /* 0: strlen(in) */
    char out[48];
};

ParameterizedTestParameters(xmlsafe, exact)
{
    static struct exact_case cases[] = {
        {"plain", "hello <&> \"x\"", 0, "hello <&> \"x\""},
        {"empty", "", 0, ""},
        {"colour", "\x1b[31mred\x1b[0m", 0, "red"},
        {"colour_params", "\x1b[1;32mok\x1b[m done", 0, "ok done"},
        {"cursor", "\x1b[2K\rline", 0, "\rline"},
        {"esc_alone", "a\033b", 0, "a" FFFD "b"},
        {"esc_at_end", "a\x1b", 0, "a" FFFD},
        {"esc_bracket_at_end", "a\x1b[", 0, "a" FFFD "["},
        {"soh", "a\001b", 0, "a" FFFD "b"},
        {"vt", "a\013b", 0, "a" FFFD "b"},
        {"ff", "a\014b", 0, "a" FFFD "b"},
        {"us", "a\037b", 0, "a" FFFD "b"},
        {"bel", "\x07", 0, FFFD},
        {"del_allowed", "a\177b", 0, "a\177b"},
        {"nul", "a\0b", 3, "a" FFFD "b"},
        {"nuls", "\0\0", 2, FFFD FFFD},
        {"tab_lf_cr", "a\tb\nc\r\n", 0, "a\tb\nc\r\n"},
        {"latin", "caf\xc3\xa9", 0, "caf\xc3\xa9"},
        {"nel_allowed", "\xc2\x85", 0, "\xc2\x85"},
        {"cjk", "\xe6\x97\xa5\xe6\x9c\xac", 0, "\xe6\x97\xa5\xe6\x9c\xac"},
        {"emoji", "\xf0\x9f\x98\x80!", 0, "\xf0\x9f\x98\x80!"},
        {"max_code_point", "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf"},
        {"replacement_kept", FFFD, 0, FFFD},
        {"before_surrogates", "\xed\x9f\xbf", 0, "\xed\x9f\xbf"},
        {"after_surrogates", "\xee\x80\x80", 0, "\xee\x80\x80"},
        {"u_fffe", "\xef\xbf\xbe", 0, FFFD},
        {"u_ffff", "\xef\xbf\xbf", 0, FFFD},
    };

    return cr_make_param_array(struct exact_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct exact_case *c, xmlsafe, exact)
{
    size_t len = c->len ? c->len : strlen(c->in);
    char *out = xmlsafe_text(c->in, len);

    cr_assert_not_null(out);
    cr_expect_str_eq(out, c->out, "%s", c->label);
    free(out);
}

/* "a" BAD "b": the output must be "a", one or more U+FFFD, then "b". */
struct bad_case {
    char label[24];
    char bad[8];
    bool at_end; /* nothing follows: no "b" */
};

ParameterizedTestParameters(xmlsafe, invalid_utf8)
{
    static struct bad_case cases[] = {
        {"lone_continuation", "\x80", false},
        {"continuations", "\x80\xbf\x80", false},
        {"overlong_nul", "\xc0\x80", false},
        {"overlong_slash", "\xc0\xaf", false},
        {"overlong_c1", "\xc1\xbf", false},
        {"overlong_3", "\xe0\x80\x80", false},
        {"overlong_3_max", "\xe0\x9f\xbf", false},
        {"overlong_4", "\xf0\x80\x80\x80", false},
        {"surrogate_high", "\xed\xa0\x80", false},
        {"surrogate_low", "\xed\xbf\xbf", false},
        {"past_10ffff", "\xf4\x90\x80\x80", false},
        {"f5", "\xf5\x80\x80\x80", false},
        {"f8", "\xf8\x88\x80\x80\x80", false},
        {"fe", "\xfe", false},
        {"ff", "\xff", false},
        {"lead_then_ascii", "\xc3", false},
        {"truncated_3_mid", "\xe2\x82", false},
        {"truncated_2_end", "\xc3", true},
        {"truncated_3_end", "\xe2\x82", true},
        {"truncated_4_end", "\xf0\x9f\x98", true},
    };

    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, xmlsafe, invalid_utf8)
{
    struct strbuf in = STRBUF_INIT;

    strbuf_addch(&in, 'a');
    strbuf_addstr(&in, c->bad);
    if (!c->at_end)
        strbuf_addch(&in, 'b');
    char *out = xmlsafe_text(in.buf, in.len);
    size_t n = strlen(out);
    size_t tail = c->at_end ? 0 : 1;

    cr_assert_gt(n, 1 + tail, "%s: \"%s\"", c->label, out);
    cr_assert_eq(out[0], 'a', "%s", c->label);
    if (!c->at_end)
        cr_assert_eq(out[n - 1], 'b', "%s", c->label);
    size_t mid = n - 1 - tail;
    cr_assert_eq(mid % 3, 0, "%s: middle is not whole U+FFFDs", c->label);
    cr_assert_gt(mid, 0, "%s: no U+FFFD", c->label);
    for (size_t i = 1; i < 1 + mid; i += 3)
        cr_assert_eq(memcmp(out + i, FFFD, 3), 0, "%s: byte %zu", c->label, i);
    free(out);
    strbuf_release(&in);
}

/*
 * libxml2's parser rejects invalid UTF-8 and characters outside XML's Char
 * production: the oracle for "the result is always fit for XML".
 */
static void assert_xml_ok(const char *label, const char *s, size_t len)
{
    struct strbuf doc = STRBUF_INIT;

    strbuf_addstr(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>");
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '<')
            strbuf_addstr(&doc, "&lt;");
        else if (s[i] == '&')
            strbuf_addstr(&doc, "&amp;");
        else
            strbuf_addch(&doc, s[i]);
    }
    strbuf_addstr(&doc, "</t>");
    xmlDocPtr d = xmlReadMemory(doc.buf, (int)doc.len, "x.xml", "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING);
    strbuf_release(&doc);
    cr_assert_not_null(d, "%s: libxml2 rejects the sanitised text", label);
    xmlFreeDoc(d);
}

Test(xmlsafe, every_byte_alone)
{
    for (int b = 0; b < 256; b++) {
        char in = (char)b;
        char *out = xmlsafe_text(&in, 1);
        char label[32];

        snprintf(label, sizeof(label), "byte 0x%02x", b);
        assert_xml_ok(label, out, strlen(out));
        free(out);
    }
}

Test(xmlsafe, every_byte_pair_and_random_bytes)
{
    size_t n = 2 * 256 * 256;
    unsigned char *in = xmalloc(n + 65536);
    uint32_t x = 12345;

    for (size_t i = 0; i < 256 * 256; i++) {
        in[2 * i] = (unsigned char)(i >> 8);
        in[2 * i + 1] = (unsigned char)i;
    }
    /* A fixed pseudo-random tail, biased towards multibyte lead bytes. */
    for (size_t i = 0; i < 65536; i++) {
        x = x * 1103515245u + 12345u;
        unsigned char v = (unsigned char)(x >> 16);
        in[n + i] = (x >> 27) & 1 ? (unsigned char)(0x80 | v) : v;
    }
    char *out = xmlsafe_text((const char *)in, n + 65536);
    assert_xml_ok("pairs and random bytes", out, strlen(out));
    cr_assert_null(memchr(out, 0x1b, strlen(out)), "ESC left in output");
    free(out);
    free(in);
    xmlCleanupParser();
}

Test(xmlsafe, output_is_nul_terminated_and_owned)
{
    char *out = xmlsafe_text("abc", 2);

    cr_assert_str_eq(out, "ab");
    free(out);
    out = xmlsafe_text("abc", 0);
    cr_assert_str_eq(out, "");
    free(out);
}
