/*
 * fileset.c: open addressing on (device, inode), linear probing.
 */
#include "fileset.h"
#include "common/strbuf.h"

#include <stdint.h>
#include <stdlib.h>

static size_t slot_of(const struct fileset *s, dev_t dev, ino_t ino)
{
    uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;

    return (size_t)(h ^ (h >> 29)) & (s->cap - 1);
}

static bool insert(struct fileset *s, dev_t dev, ino_t ino)
{
    for (size_t i = slot_of(s, dev, ino);; i = (i + 1) & (s->cap - 1)) {
        struct fileset_entry *x = &s->slots[i];
        if (!x->used) {
            *x = (struct fileset_entry){.dev = dev, .ino = ino, .used = true};
            s->n++;
            return true;
        }
        if (x->dev == dev && x->ino == ino)
            return false;
    }
}

bool fileset_add(struct fileset *s, dev_t dev, ino_t ino)
{
    /* Kept at most half full. */
    if (2 * (s->n + 1) > s->cap) {
        struct fileset old = *s;
        s->cap = old.cap ? 2 * old.cap : 64;
        s->slots = xcalloc(s->cap, sizeof(*s->slots));
        s->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].used)
                insert(s, old.slots[i].dev, old.slots[i].ino);
        free(old.slots);
    }
    return insert(s, dev, ino);
}

void fileset_release(struct fileset *s)
{
    free(s->slots);
    s->slots = NULL;
    s->cap = s->n = 0;
}
