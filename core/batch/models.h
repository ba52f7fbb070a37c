/*
 * models.h — whether a Space offers the model a run asks for, from what its
 * probe (space_probe_start) learnt: the one place that decides it for the
 * batch engine and for `tagcon config set model`.
 *
 * A wd-tagger Space offers the choices of its model dropdown (any model when
 * its /config lists none, as the Space itself then takes any); an A1111
 * tagger offers a model when a1111_pick_model() maps it onto one of its own.
 */
#ifndef TAGCON_MODELS_H
#define TAGCON_MODELS_H

#include <stdbool.h>

struct space_info;

bool models_offered(const struct space_info *info, const char *model);

/* "it offers 12: A, B, …" for messages (new string, already safe to show). */
char *models_offer_text(const struct space_info *info);

#endif
