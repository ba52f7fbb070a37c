/*
 * export-private.h — what export.c, export-xmp.c and export-run.c share;
 * never included elsewhere.
 */
#ifndef TAGCON_EXPORT_PRIVATE_H
#define TAGCON_EXPORT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/tag/export.h"

/* The rating label of a rated item ("general", "sensitive" ...), or NULL. */
const char *export_rating_label(const struct export_item *item);
/* The canonical name of a tag as a caption or sidecar shows it ("long hair",
 * "saber \(fate\)"), new string; NULL when it is no tag name. */
char *export_canonical(const char *shown);
/* Whether canonical is among names[0..n) (NULL entries skipped). */
bool export_has(char *const *names, size_t n, const char *canonical);

#endif
