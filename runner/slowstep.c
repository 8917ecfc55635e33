/*
 * slowstep.c: a thread that prints a set-up step once it has taken long.
 */
#include "slowstep.h"
#include "common/clock.h"
#include "common/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Under the lock: print the current step once it is due. */
static void show_if_due(struct slowstep *s, double now)
{
    if (s->what && !s->shown && now - s->since >= s->delay_ms) {
        fprintf(s->out, "isotest: %s...\n", s->what);
        fflush(s->out);
        s->shown = true;
    }
}

static void *watch(void *arg)
{
    struct slowstep *s = arg;

    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec ts;
        clock_deadline(&ts, 100);
        pthread_cond_timedwait(&s->changed, &s->lock, &ts);
        show_if_due(s, now_ms());
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int slowstep_start(struct slowstep *s, FILE *out, double delay_ms)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->out = out;
    s->delay_ms = delay_ms;
    s->started = pthread_create(&s->thread, NULL, watch, s) == 0;
    return s->started ? 0 : -1;
}

void slowstep_say(void *arg, const char *what)
{
    struct slowstep *s = arg;
    double now = now_ms();

    pthread_mutex_lock(&s->lock);
    show_if_due(s, now);
    free(s->what);
    s->what = what ? xstrdup(what) : NULL;
    s->since = now;
    s->shown = false;
    pthread_mutex_unlock(&s->lock);
}

void slowstep_stop(struct slowstep *s)
{
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    s->started = false;
    free(s->what);
    s->what = NULL;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
}
