/* cmd-random.c — tagcon random [QUERY]: one image drawn uniformly from the
 * matches, with the max-rating filter applied unless told otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "tui/cmd-search.h"

static int exec_random(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_random_entry = {
	.name = "random",
	.usage = "[--json|-0|--null] [--max-rating g|s|q|e|--all-ratings] [--preset NAME] [QUERY...]",
	.help = "one random image matching a query",
	.exec = exec_random,
};

struct pick {
	bool json;
	bool nul;
};

static bool
print_pick(void *ud, const struct search_hit *h)
{
	const struct pick *p = ud;
	if (p->json) {
		out_json(query_hit_json(h));
	} else {
		out_path_line(h->path, p->nul);
	}
	return false;
}

static int
exec_random(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--max-rating=", "--all-ratings", "--preset=",
		"--null", "-0", NULL};
	bool flags[6] = {0};
	const char *values[6] = {0};
	argc = cli_options(&cmd_random_entry, argc, argv, names, flags, values);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	if (flags[0] && (flags[4] || flags[5])) {
		out_error("random: choose one of --json and --null");
		return EXIT_USAGE;
	}
	struct query_flags qf = {values[1], flags[2], values[3]};
	struct query_cmd qc;
	int rc = query_cmd_open(cli, &cmd_random_entry, argc, argv, &qf, &qc);
	if (rc == EXIT_OK) {
		struct pick p = {flags[0], flags[4] || flags[5]};
		bool found;
		if (!db_search_random(qc.db, qc.q, &qc.opts, print_pick, &p, &found)) {
			rc = cli_db_error(cli);
		} else if (!found) {
			out_error("random: no image matches%s%s", qc.text[0] ? " " : "", qc.text);
			rc = EXIT_FAILURES;
		}
	}
	query_cmd_fini(&qc);
	return rc;
}
