/*
 * import.h — caption files into the library: the tags of `IMAGE.txt`
 * beside each image become manual committed tags, as if a person had
 * typed them, so a dataset curated elsewhere keeps its edits.
 *
 * Tags already committed stay; a tag the person had rejected becomes
 * accepted (the caption is the newer word).  Nothing is removed.  Caption
 * tags are read in any of the forms export writes (long_hair, "long hair",
 * "saber \(fate\)"); the four rating labels (general, sensitive,
 * questionable, explicit) are the model's and are skipped.
 */
#ifndef TAGCON_IMPORT_H
#define TAGCON_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct import_opts {
	const char *separator; /* between tags, default "," (blanks around ignored) */
	const char *extension; /* of caption files, default ".txt" */
	bool dry_run;          /* count, write nothing */
	void (*on_error)(void *ud, const char *path, const char *why);
	void *ud;
};

struct import_counts {
	int64_t images;     /* images that got tags */
	int64_t tags;       /* tags committed */
	int64_t unchanged;  /* a caption whose tags were all committed already */
	int64_t no_caption; /* no caption file beside the image */
	int64_t failed;
};

/*
 * Canonical tag names of a caption's text (new array of new strings);
 * pieces that are no tag name, rating labels and repeats are left out.
 */
char **import_caption_tags(const char *text, const char *separator, size_t *n);
void import_tags_free(char **tags, size_t n);

/* Import the captions of every image below folder (NULL: the whole library). */
bool import_run(struct db *db, const char *folder, const struct import_opts *o,
    struct import_counts *counts, char **cause);

#endif
