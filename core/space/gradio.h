/*
 * gradio.h — the Gradio side of the wd-tagger protocol, without any I/O.
 *
 * What tagcon sends and reads (space-protocol.md §2):
 *
 *   GET  {base}/config                      → gradio_config_parse()
 *   POST {base}{prefix}/upload  (files=…)   → gradio_parse_upload(): server path
 *   POST {base}{prefix}/call/predict        gradio_call_body() → gradio_parse_event_id()
 *   GET  {base}{prefix}/call/predict/{id}   SSE → gradio_stream
 *
 * prefix is "" up to Gradio 4.x and "/gradio_api" from 5.x on (taken from
 * config's api_prefix).  /call exists from Gradio 4.20 on; older versions
 * are refused at the config step (SPACEERR_UNSUPPORTED, "unsupported
 * Gradio version 4.19.2 (needs ≥ 4.20)"): 4.0–4.19 would need the
 * /queue/join protocol and 3.x a WebSocket, which tagcon does not speak.
 */
#ifndef TAGCON_GRADIO_H
#define TAGCON_GRADIO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/tag/answer.h"
#include "core/space/spaceerr.h"

#define GRADIO_MAX_CONFIG (4 * 1024 * 1024)
#define GRADIO_MAX_SMALL (256 * 1024) /* upload and call answers, error bodies */
#define GRADIO_MAX_EVENT (8 * 1024 * 1024)

struct gradio_config;

/*
 * Read /config: version (≥ 4.20), api_prefix, protocol, the "predict"
 * dependency with wd-tagger's inputs (image, dropdown, slider, checkbox,
 * slider, checkbox) and outputs (textbox, label ×3), the model dropdown's
 * choices.  Errors: MALFORMED (not JSON, an HTML page, odd fields),
 * UNSUPPORTED (old Gradio), NOT_TAGGER (no such endpoint).
 */
bool gradio_config_parse(const char *body, size_t len, struct gradio_config **out,
    struct spaceerr *err);
void gradio_config_destroy(struct gradio_config *cfg);

const char *gradio_config_version(const struct gradio_config *cfg);
const char *gradio_config_prefix(const struct gradio_config *cfg);   /* "" or "/gradio_api" */
const char *gradio_config_protocol(const struct gradio_config *cfg); /* "" when absent */
const char *gradio_config_space_id(const struct gradio_config *cfg); /* NULL off Spaces */
int gradio_config_fn_index(const struct gradio_config *cfg);
/* The dropdown's choices (borrowed, n of them) and its default (or NULL). */
const char *const *gradio_config_models(const struct gradio_config *cfg, size_t *n);
const char *gradio_config_default_model(const struct gradio_config *cfg);
/* Whether model is one of the choices (true when the config lists none). */
bool gradio_config_offers(const struct gradio_config *cfg, const char *model);

/* base + prefix + route (new string). */
char *gradio_url(const char *base, const struct gradio_config *cfg, const char *route);

/* The /call/predict body (new string): the uploaded path as FileData,
 * model, both thresholds at floor, both MCut flags off. */
char *gradio_call_body(const char *path, const char *model, double floor);

/* The first server path of an /upload answer (new string). */
bool gradio_parse_upload(const char *body, size_t len, char **path, struct spaceerr *err);
/* The event id of a /call answer (new string; safe in a URL path). */
bool gradio_parse_event_id(const char *body, size_t len, char **id, struct spaceerr *err);

/*
 * The /call/predict/{id} stream: "complete" → the answer, "error" → the
 * Space's message, "heartbeat" and "generating" are skipped.
 */
struct gradio_stream;

struct gradio_stream *gradio_stream_create(double floor);
void gradio_stream_destroy(struct gradio_stream *st);
/* Next bytes; false when the stream has said all it will (complete or
 * error) or broke its bounds: stop reading then. */
bool gradio_stream_feed(struct gradio_stream *st, const char *buf, size_t len);
/*
 * After the stream ends (or feed returned false): true with *answer (yours)
 * on complete; otherwise false with err: SERVER_ERROR (or what
 * spaceerr_from_run makes of the message), MALFORMED (bad answer, event too
 * large), DROPPED (ended before complete).
 */
bool gradio_stream_result(struct gradio_stream *st, struct answer **answer,
    struct spaceerr *err);

#endif
