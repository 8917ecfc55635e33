/*
 * xmlout.c: an xmlTextWriter whose output buffer appends to a strbuf.
 *
 * Not xmlNewTextWriterFilename(): libxml2 would print its own I/O errors
 * (library code never prints) and the file would appear bit by bit.  Not
 * an xmlBuffer either: its size is an int; a strbuf has no such limit.
 */
#include "xmlout.h"
#include "common/fsutil.h"
#include "xmlsafe.h"

#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

static int to_strbuf(void *ctx, const char *buf, int len)
{
    strbuf_add(ctx, buf, (size_t)len);
    return len;
}

static int close_nothing(void *ctx)
{
    (void)ctx;
    return 0;
}

void xmlout_init(struct xmlout *o)
{
    memset(o, 0, sizeof(*o));
    strbuf_init(&o->doc, 0);
    xmlOutputBufferPtr ob =
        xmlOutputBufferCreateIO(to_strbuf, close_nothing, &o->doc, NULL);
    o->w = ob ? xmlNewTextWriter(ob) : NULL; /* the writer owns ob */
    if (!o->w) {
        if (ob)
            xmlOutputBufferClose(ob);
        o->rc = -1;
        return;
    }
    xmlTextWriterSetIndent(o->w, 1);
    xmlTextWriterSetIndentString(o->w, BAD_CAST "  ");
    if (xmlTextWriterStartDocument(o->w, NULL, "UTF-8", NULL) < 0)
        o->rc = -1;
}

void xmlout_start(struct xmlout *o, const char *element)
{
    if (o->rc >= 0 && xmlTextWriterStartElement(o->w, BAD_CAST element) < 0)
        o->rc = -1;
}

void xmlout_end(struct xmlout *o)
{
    if (o->rc >= 0 && xmlTextWriterEndElement(o->w) < 0)
        o->rc = -1;
}

void xmlout_attr(struct xmlout *o, const char *name, const char *value)
{
    if (o->rc < 0)
        return;
    char *safe = xmlsafe_text(value ? value : "", value ? strlen(value) : 0);
    if (xmlTextWriterWriteAttribute(o->w, BAD_CAST name, BAD_CAST safe) < 0)
        o->rc = -1;
    free(safe);
}

void xmlout_text(struct xmlout *o, const char *s, size_t len)
{
    if (o->rc < 0)
        return;
    char *safe = xmlsafe_text(s, len);
    if (xmlTextWriterWriteString(o->w, BAD_CAST safe) < 0)
        o->rc = -1;
    free(safe);
}

void xmlout_property(struct xmlout *o, const char *name, const char *value)
{
    xmlout_start(o, "property");
    xmlout_attr(o, "name", name);
    xmlout_attr(o, "value", value);
    xmlout_end(o);
}

int xmlout_save(struct xmlout *o, const char *path, struct isotest_err *e)
{
    int r = 0;

    if (o->rc >= 0 &&
        (xmlTextWriterEndDocument(o->w) < 0 || xmlTextWriterFlush(o->w) < 0))
        o->rc = -1;
    if (o->w)
        xmlFreeTextWriter(o->w); /* flushes the rest into o->doc */
    if (o->rc < 0)
        r = err_set(e, "cannot write '%s': the XML writer failed", path);
    else
        r = fs_write_atomic(path, o->doc.buf, o->doc.len, e);
    strbuf_release(&o->doc);
    o->w = NULL;
    return r;
}
