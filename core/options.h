/*
 * options.h — how the settings become options: one function per consumer.
 *
 * The settings (core/settings.h) are what a person sets; the modules below
 * take plain option structs.  Every command and screen builds those structs
 * here, so a setting means the same thing everywhere (and a preset in use
 * on the connection, core/preset.h, reaches all of them).  Callers then
 * set what is theirs alone: callbacks, flags given on the command line.
 */
#ifndef TAGCON_OPTIONS_H
#define TAGCON_OPTIONS_H

#include <stddef.h>

#include "core/batch/batch.h"
#include "core/image/prepare.h"
#include "core/image/scan.h"
#include "core/space/net.h"
#include "core/tag/review.h"
#include "db/predictions.h"

struct db;

/* general_threshold, character_threshold, general_mcut, character_mcut, max_tags. */
struct db_cut options_cut(struct db *db);
/* The same with setting name (one of those five) at value, validated as
 * `config set` would, not stored: what a change would make.  False with
 * *cause (new string) for another name or a refused value. */
bool options_cut_if(struct db *db, const char *name, const char *value, struct db_cut *out,
    char **cause);
/* review_mode, review_min_score, confident_margin. */
struct review_opts options_review(struct db *db);
/* pixel_limit; no callbacks. */
struct scan_opts options_scan(struct db *db);
/* upload_max_side, pixel_limit. */
struct prepare_opts options_prepare(struct db *db);
/* silence_timeout, request_deadline, max_wait. */
struct net_opts options_net(struct db *db);

/* A batch's options and the strings they point to. */
struct options_batch {
	struct batch_opts opts;
	char *model;
	char **spaces;        /* the configured Space URLs */
	char *notify_url;
	char *target_folder;  /* "" when unset */
	long space_inflight;  /* the setting (opts.inflight is 1 for the public Space) */
};

/* Every batch option a setting gives: model, spaces, space_inflight (1
 * while the public Space, SETTINGS_PUBLIC_SPACE, is the only one),
 * max_attempts, score_floor, upload_max_side, pixel_limit, silence_timeout,
 * request_deadline, max_wait, notify_url, notify_each (and db_path).
 * target_folder is read, not applied: the folder is the caller's to resolve. */
void options_batch_load(struct db *db, struct options_batch *ob);
/* The Spaces given on the command line (--space, NULL-terminated; borrowed)
 * instead of the configured ones, when there are any. */
void options_batch_spaces(struct options_batch *ob, const char *const *flagged);
void options_batch_fini(struct options_batch *ob);

#endif
