/*
 * rating.h — the four content ratings, named in one place.
 *
 * A WD model scores every image on general, sensitive, questionable and
 * explicit (G/S/Q/E); an image's rating is the highest of the four.  Every
 * table of their names, letters and the argmax rule lives here: the parser
 * of Space answers, the query language, the settings, exports, imports and
 * every screen read them from this file.  (The SQL twin of rating_top() is
 * SEARCH_RATING_SQL in db/search-private.h; tests/unit/test-search.c checks
 * the two agree.)
 */
#ifndef TAGCON_RATING_H
#define TAGCON_RATING_H

/* In the model's own order, mildest first. */
enum rating { RATING_G, RATING_S, RATING_Q, RATING_E };
#define RATING_COUNT 4

/* "general", "sensitive", "questionable", "explicit"; "unknown" otherwise. */
const char *rating_name(int r);
/* 'g', 's', 'q', 'e'; '?' otherwise. */
char rating_letter(int r);
/* The rating a person named: a letter or a full name, any case ("G",
 * "general"); -1 when s names none. */
int rating_parse(const char *s);
/* The rating a model's label names, exactly: "general" ... "explicit", or
 * "safe", which DeepDanbooru (behind an A1111 tagger) says for general; -1
 * for any other label. */
int rating_from_label(const char *label);
/* The highest of four scores, the milder label on ties. */
enum rating rating_top(const float scores[RATING_COUNT]);

#endif
