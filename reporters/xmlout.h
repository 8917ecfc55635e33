/*
 * xmlout: an XML document built in memory with libxml2's xmlTextWriter,
 * then written in one go with fs_write_atomic(), so a reader never sees
 * half a report and a failed write leaves no temporary file behind.
 *
 * Call sequence: xmlout_init(), any number of xmlout_start() /
 * xmlout_attr() / xmlout_text() / xmlout_end(), then xmlout_save(),
 * which always releases the writer.  Every string passes through
 * xmlsafe_text(), so any bytes make a valid document.  The first failure
 * is kept and reported by xmlout_save(); the calls after it do nothing.
 *
 * The struct must stay where it is between init and save (the writer
 * points into it).  Call xmlInitParser() in main before threads start;
 * one struct xmlout belongs to one thread.
 */
#ifndef ISOTEST_XMLOUT_H
#define ISOTEST_XMLOUT_H

#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"

struct _xmlTextWriter;

/* Treat as opaque. */
struct xmlout {
    struct _xmlTextWriter *w;
    struct strbuf doc;
    int rc; /* -1 after the first failure */
};

/* Starts the document (UTF-8, indented by two spaces). */
void xmlout_init(struct xmlout *o);

void xmlout_start(struct xmlout *o, const char *element);
void xmlout_end(struct xmlout *o);
/* A NULL value writes an empty attribute. */
void xmlout_attr(struct xmlout *o, const char *name, const char *value);
void xmlout_text(struct xmlout *o, const char *s, size_t len);
/* A JUnit <property name="..." value="..."/>. */
void xmlout_property(struct xmlout *o, const char *name, const char *value);

/*
 * Ends the document and writes it to path atomically; releases o either
 * way.  -1 with e naming the path.
 */
int xmlout_save(struct xmlout *o, const char *path, struct isotest_err *e);

#endif
