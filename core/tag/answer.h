/*
 * answer.h — a tagger's answer as predictions.
 *
 * Parses what a wd-tagger Space returns (its four outputs: textbox, rating
 * Label, character Label, general Label; space-protocol.md §1.3, §2.7) and
 * what the A1111 WD14 tagger API returns (§5), into one list of
 * predictions with canonical (Danbooru, underscored) names.
 *
 * Every answer is checked: a score that is not a finite number in [0, 1], a
 * name that is empty, over TAGNAME_MAX bytes, not UTF-8 or with control
 * characters, a name twice in one answer, an unknown rating name or more than
 * ANSWER_MAX_TAGS tags makes the whole answer malformed, with a cause that
 * says which.  Nothing from a broken answer is kept.
 */
#ifndef TAGCON_ANSWER_H
#define TAGCON_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/rating.h"

/* Bounds: the largest WD model has ~8,100 general and ~2,750 character
 * tags; the JSON nodes bound keeps cJSON's tree (~64 bytes a node) small
 * whatever the text. */
#define ANSWER_MAX_TAGS 16384
#define ANSWER_MAX_NODES (1 << 18)

enum answer_category {
	ANSWER_GENERAL,
	ANSWER_CHARACTER,
	ANSWER_RATING,
};

struct answer_prediction {
	char *name; /* canonical; ratings are "general", "sensitive", ... */
	double score;
	enum answer_category category;
};

struct answer {
	/*
	 * Ratings first (those present, in enum order), then characters, then
	 * general tags, each group by score descending (ties by name).
	 */
	struct answer_prediction *predictions;
	size_t count;
	size_t ngeneral;
	size_t ncharacter;

	double ratings[RATING_COUNT]; /* by enum rating (common/rating.h); 0 where absent */
	unsigned rating_mask;           /* bit r set when ratings[r] was sent */

	/*
	 * The toriato A1111 answer is one flat map: character tags cannot be
	 * told from general ones there, so all its tags come as general and
	 * this is true.
	 */
	bool uncategorised;
};

/* All four ratings were sent. */
#define ANSWER_HAS_RATINGS(a) ((a)->rating_mask == 0xfu)

void answer_destroy(struct answer *a);

/* The highest-scoring rating sent (first on ties), or -1 if none. */
int answer_rating_top(const struct answer *a);

/*
 * The Space's outputs: json is the array of its four outputs (the data of
 * a "complete" event, or process_completed's output.data).  General and
 * character scores below floor are dropped; ratings are always kept.
 */
bool answer_parse_gradio(const char *json, size_t len, double floor, struct answer **out,
    char **cause);

/*
 * One /queue/data message.  A successful "process_completed" gives
 * *out; a failed one gives *out NULL and *run_error (new string, the
 * server's message, may say "no details").  False with *cause when the
 * message is malformed or is not a process_completed.
 */
bool answer_parse_queue(const char *json, size_t len, double floor, struct answer **out,
    char **run_error, char **cause);

/*
 * A1111 /tagger/v1/interrogate answer, toriato's flat
 * {"caption":{"general":…,"1girl":…}} or picobyte's nested
 * {"caption":{"tag":{…},"rating":{…}}}.  Tags below floor are dropped.
 */
bool answer_parse_a1111(const char *json, size_t len, double floor, struct answer **out,
    char **cause);

/*
 * The message in a Gradio "error" event's data (new string): null and
 * {"error":null} give NULL (no details), a JSON string or {"error":"…"}
 * (Gradio ≥ 6.13, with "title" when set) its text.  Raw server text, not
 * yet sanitised.
 */
char *answer_error_message(const char *json, size_t len);

/* Whether json (len bytes) has more than max_nodes values, counted without
 * parsing; the guard in front of every cJSON_Parse of outside data. */
bool answer_json_too_big(const char *json, size_t len, size_t max_nodes);

#endif
