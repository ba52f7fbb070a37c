/*
 * bench-count.c — the library-wide count of pending suggestions (what the
 * Settings screen and the Calibration view show) on a library as it is:
 * its settings, folder overrides, tag rules (threshold rules, max_tags
 * included).  Prints the count, wall and CPU time of each run; CPU time
 * tells the work on a machine busy with other builds.
 *
 *   bench-count DB [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/settings.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "db/search.h"

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-count DB [RUNS]\n");
		return 2;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	char *cause = NULL;
	struct db *db = db_open(argv[1], &cause);
	struct rules *r = db != NULL ? rules_load(db, &cause) : NULL;
	if (r == NULL) {
		fprintf(stderr, "bench-count: %s\n", cause);
		return 1;
	}
	char *model = settings_get(db, "model");
	struct search_opts o;
	search_opts_init(&o, model);
	rules_search_opts(r, &o);
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		clock_t c0 = clock();
		clock_gettime(CLOCK_MONOTONIC, &a);
		int64_t n;
		if (!db_search_suggestions(db, &o, &n)) {
			fprintf(stderr, "bench-count: %s\n", db_errmsg(db));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%lld pending suggestions: %.0f ms wall, %.0f ms CPU\n", (long long)n,
		    (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6,
		    (double)(clock() - c0) * 1e3 / CLOCKS_PER_SEC);
	}
	rules_destroy(r);
	free(model);
	db_close(db);
	return 0;
}
