/*
 * screen-settings.h — what the Settings form shows live beside its fields:
 * Space probes and the effect of a threshold.  (The form itself is
 * screen-settings.c; this part, screen-settings-live.c, does the work
 * that must not block: a `tagcon spaces --json` child per probe, and the
 * library-wide counts on the stats lane.)
 */
#ifndef TAGCON_SCREEN_SETTINGS_H
#define TAGCON_SCREEN_SETTINGS_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/tag/suggest.h"

struct console;
struct live;

struct live *live_create(struct console *c);
void live_destroy(struct live *l);

/* What one URL's probe said; NULL fields when unknown. */
struct live_probe {
	char *url;
	bool running;
	char *host;
	char *gradio_version;
	char *api_prefix;
	char *protocol;
	char *stage;
	char **models; /* NULL-terminated */
	double config_ms;
	char *error; /* "class: message", or NULL when the Space answered */
};

/* Probe these URLs now (one child; the results come in as it prints them). */
void live_probe(struct live *l, char *const *urls, size_t n);
/* The latest probe of url, or NULL. */
const struct live_probe *live_probe_of(const struct live *l, const char *url);
/* Every model a probed Space offers, NULL-terminated (borrowed). */
void live_probed_models(const struct live *l, void (*fn)(void *ud, const char *model), void *ud);

/* Thresholds under edit: count what they would change (old is what is saved). */
void live_impact(struct live *l, struct db_cut old, struct db_cut cand);
/* Draw the impact of cand in the box: on the image being reviewed (or the
 * one under the Library cursor) and across the library. */
void live_draw_impact(struct live *l, WINDOW *w, int y, int x, int width, int height,
    struct db_cut cand);

#endif
