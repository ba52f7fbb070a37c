/* cmd-scan.c — tagcon scan DIR...: index images, no network. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/options.h"
#include "core/image/scan.h"
#include "core/settings.h"
#include "db/db.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_scan(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_scan_entry = {
	.name = "scan",
	.usage = "[--json] [--quiet] DIR...",
	.help = "index the images below DIR (no network)",
	.exec = exec_scan,
};

struct progress {
	bool tty;
	bool quiet;
	double started;
};

static void
on_warn(void *ud, const char *msg)
{
	struct progress *p = ud;
	if (!p->quiet) {
		fprintf(stderr, "%stagcon: %s\n", p->tty ? "\r\033[K" : "", msg);
	}
}

static void
on_progress(void *ud, const struct scan_stats *s)
{
	struct progress *p = ud;
	if (p->tty && !p->quiet) {
		fprintf(stderr, "\r\033[Kscanning: %lld files, %lld new", (long long)s->seen,
		    (long long)s->added);
	}
}

static cJSON *
stats_json(const char *dir, const struct scan_stats *s, double secs)
{
	cJSON *o = cJSON_CreateObject();
	out_json_add_path(o, "dir", dir);
	cJSON_AddNumberToObject(o, "files", (double)s->seen);
	cJSON_AddNumberToObject(o, "unchanged", (double)s->unchanged);
	cJSON_AddNumberToObject(o, "added", (double)s->added);
	cJSON_AddNumberToObject(o, "changed", (double)s->changed);
	cJSON_AddNumberToObject(o, "moved", (double)s->moved);
	cJSON_AddNumberToObject(o, "missing", (double)s->missing);
	cJSON_AddNumberToObject(o, "failed", (double)s->failed);
	cJSON_AddNumberToObject(o, "ignored", (double)s->ignored);
	cJSON_AddNumberToObject(o, "errors", (double)s->errors);
	cJSON_AddNumberToObject(o, "bytes_read", (double)s->bytes_read);
	cJSON_AddNumberToObject(o, "seconds", secs);
	return o;
}

static int
exec_scan(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--quiet", NULL};
	bool flags[2] = {0};
	argc = cli_options(&cmd_scan_entry, argc, argv, names, flags, NULL);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	if (argc == 0) {
		return cli_usage(&cmd_scan_entry);
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	struct progress p = {.tty = isatty(STDERR_FILENO), .quiet = flags[1]};
	struct scan_opts opts = options_scan(db);
	opts.warn = on_warn;
	opts.progress = on_progress;
	opts.ud = &p;
	cJSON *all = flags[0] ? cJSON_CreateArray() : NULL;
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		struct scan_stats s;
		char *cause = NULL;
		p.started = clock_s();
		if (!scan_dir(db, argv[i], &opts, &s, &cause)) {
			if (p.tty && !p.quiet) {
				fputs("\r\033[K", stderr);
			}
			out_error("%s", cause);
			free(cause);
			if (db_busy(db)) {
				rc = EXIT_BUSY;
				break;
			}
			rc = EXIT_FAILURES;
			continue;
		}
		double secs = clock_s() - p.started;
		if (p.tty && !p.quiet) {
			fputs("\r\033[K", stderr);
		}
		if (s.failed > 0 || s.errors > 0) {
			rc = EXIT_FAILURES;
		}
		if (all != NULL) {
			cJSON_AddItemToArray(all, stats_json(argv[i], &s, secs));
			continue;
		}
		out_safe(stdout, argv[i]);
		printf(": %lld files in %.2f s: %lld new, %lld changed, %lld moved, %lld missing, "
		    "%lld failed, %lld unchanged, %lld not images\n", (long long)s.seen, secs,
		    (long long)s.added, (long long)s.changed, (long long)s.moved,
		    (long long)s.missing, (long long)s.failed, (long long)s.unchanged,
		    (long long)s.ignored);
	}
	if (all != NULL) {
		out_json(all);
	}
	return rc;
}
