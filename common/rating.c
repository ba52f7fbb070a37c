/* rating.c — names, letters and the argmax of the four ratings. */
#include "common/rating.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static const char *const names[RATING_COUNT] = {
	"general", "sensitive", "questionable", "explicit",
};

const char *
rating_name(int r)
{
	return r >= 0 && r < RATING_COUNT ? names[r] : "unknown";
}

char
rating_letter(int r)
{
	return r >= 0 && r < RATING_COUNT ? "gsqe"[r] : '?';
}

int
rating_parse(const char *s)
{
	if (s == NULL || s[0] == '\0') {
		return -1;
	}
	for (int r = 0; r < RATING_COUNT; r++) {
		if (strcasecmp(s, names[r]) == 0 || (s[1] == '\0' && (s[0] | 0x20) == "gsqe"[r])) {
			return r;
		}
	}
	return -1;
}

int
rating_from_label(const char *label)
{
	for (int r = 0; r < RATING_COUNT; r++) {
		if (strcmp(label, names[r]) == 0) {
			return r;
		}
	}
	return strcmp(label, "safe") == 0 ? RATING_G : -1;
}

enum rating
rating_top(const float scores[RATING_COUNT])
{
	enum rating top = RATING_G;
	for (int r = 1; r < RATING_COUNT; r++) {
		if (scores[r] > scores[top]) {
			top = (enum rating)r;
		}
	}
	return top;
}
