/*
 * a1111.h — the AUTOMATIC1111 WD14 tagger extension's API, without I/O
 * (space-protocol.md §5).
 *
 *   GET  {base}/tagger/v1/interrogators  → {"models":[…]}        (probe, model check)
 *   POST {base}/tagger/v1/interrogate    {"image":"<base64>","model":M,"threshold":floor}
 *                                        → answer_parse_a1111()
 *
 * The extension names its models its own way ("wd14-vit-v2",
 * "wd14-vit.v2"); a1111_pick_model() maps a Space repo id onto them.
 */
#ifndef TAGCON_A1111_H
#define TAGCON_A1111_H

#include <stdbool.h>
#include <stddef.h>

#include "core/space/spaceerr.h"

#define A1111_MAX_MODELS_ANSWER (1024 * 1024)
#define A1111_MAX_ANSWER (8 * 1024 * 1024)

/* The interrogate body (new string): the image in base64. */
char *a1111_interrogate_body(const void *image, size_t len, const char *model, double floor);

/* The models of an /interrogators answer (new array of new strings). */
bool a1111_parse_models(const char *body, size_t len, char ***models, size_t *n,
    struct spaceerr *err);
void a1111_free_models(char **models, size_t n);

/*
 * Which of the offered models to ask for model: model itself when offered,
 * else the repo's base name ("SmilingWolf/wd-vit-tagger-v3" →
 * "wd-vit-tagger-v3"), else the extension's name for that WD repo.  NULL
 * with a BAD_INPUT err when none is offered.  Borrowed from offered.
 */
const char *a1111_pick_model(char *const *offered, size_t n, const char *model,
    struct spaceerr *err);

#endif
