/*
 * cmd-spaces.c — tagcon spaces: probe every configured Space (or the URLs
 * given) at once and say what each one is: host, Gradio version, hub stage,
 * models, how fast /config answered, or why it cannot tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/settings.h"
#include "core/space/space.h"
#include "core/space/token.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_spaces(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_spaces_entry = {
	.name = "spaces",
	.usage = "[--json] [URL...]",
	.help = "probe the configured Spaces (or URLs): host, version, stage, models",
	.exec = exec_spaces,
};

static cJSON *
probe_json(const struct space_probe *p)
{
	const struct space_info *i = &p->info;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "url", out_json_text(p->url));
#define STR_OR_NULL(key, v) cJSON_AddItemToObject(o, key, (v) != NULL ? out_json_text(v) : \
	cJSON_CreateNull())
	STR_OR_NULL("host", i->host);
	STR_OR_NULL("repo", i->repo);
	STR_OR_NULL("gradio_version", i->gradio_version);
	STR_OR_NULL("api_prefix", i->api_prefix);
	STR_OR_NULL("protocol", i->protocol);
	STR_OR_NULL("stage", i->stage);
	STR_OR_NULL("default_model", i->default_model);
#undef STR_OR_NULL
	cJSON *models = cJSON_AddArrayToObject(o, "models");
	for (size_t k = 0; k < i->nmodels; k++) {
		cJSON_AddItemToArray(models, out_json_text(i->models[k]));
	}
	if (p->cause == NULL && i->err.cls == SPACEERR_NONE) {
		cJSON_AddNumberToObject(o, "config_ms", i->config_ms);
		cJSON_AddNullToObject(o, "error");
	} else {
		cJSON_AddNullToObject(o, "config_ms");
		cJSON *e = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(e, "class", p->cause != NULL ? "bad-url" :
		    spaceerr_class_name(i->err.cls));
		cJSON_AddItemToObject(e, "message", out_json_text(p->cause != NULL ? p->cause :
		    i->err.message != NULL ? i->err.message : "failed"));
	}
	return o;
}

static void
probe_print(const struct space_probe *p)
{
	const struct space_info *i = &p->info;
	out_safe(stdout, p->url);
	putchar('\n');
	if (p->cause != NULL || i->err.cls != SPACEERR_NONE) {
		printf("  error     ");
		out_safe(stdout, p->cause != NULL ? p->cause : i->err.message);
		putchar('\n');
	}
	if (i->host != NULL) {
		printf("  host      ");
		out_safe(stdout, i->host);
		putchar('\n');
	}
	if (i->gradio_version != NULL) {
		printf("  gradio    ");
		out_safe(stdout, i->gradio_version);
		printf(" (api prefix \"%s\", protocol %s)\n", i->api_prefix ? i->api_prefix : "",
		    i->protocol && *i->protocol ? i->protocol : "-");
	}
	printf("  stage     %s\n", i->stage != NULL ? i->stage : "unknown (not on the hub)");
	if (i->nmodels > 0) {
		printf("  models    %zu:", i->nmodels);
		for (size_t k = 0; k < i->nmodels; k++) {
			printf("%s", k ? ", " : " ");
			out_safe(stdout, i->models[k]);
		}
		putchar('\n');
	}
	if (p->cause == NULL && i->err.cls == SPACEERR_NONE) {
		printf("  config    answered in %u ms\n", i->config_ms);
	}
}

static int
exec_spaces(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", NULL};
	bool flags[1] = {0};
	argc = cli_options(&cmd_spaces_entry, argc, argv, names, flags, NULL);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	char **configured = NULL;
	size_t n = (size_t)argc;
	if (argc == 0) {
		struct db *db = cli_db(cli);
		if (db == NULL) {
			return EXIT_FAILURES;
		}
		configured = settings_get_list(db, "spaces", &n);
		if (n == 0) {
			out_error("no Space configured (tagcon config set spaces URL)");
			settings_list_free(configured);
			return EXIT_NO_SPACE;
		}
	}
	char *token = NULL, *cause = NULL;
	if (!token_load(&token, NULL, &cause)) {
		out_error("%s", cause);
		free(cause);
		settings_list_free(configured);
		return EXIT_FAILURES;
	}
	struct space_probe *probes = xcalloc(n, sizeof *probes);
	for (size_t i = 0; i < n; i++) {
		probes[i].url = configured != NULL ? configured[i] : argv[i];
	}
	struct db *db = cli_db(cli);
	struct net_opts no = db != NULL ? options_net(db) : (struct net_opts){0};
	space_probe_all(probes, n, token, &no);
	token_free(token);
	size_t ok = 0;
	cJSON *arr = flags[0] ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < n; i++) {
		ok += probes[i].cause == NULL && probes[i].info.err.cls == SPACEERR_NONE;
		if (arr != NULL) {
			cJSON_AddItemToArray(arr, probe_json(&probes[i]));
		} else {
			probe_print(&probes[i]);
		}
		space_probe_fini(&probes[i]);
	}
	if (arr != NULL) {
		out_json(arr);
	}
	free(probes);
	settings_list_free(configured);
	return ok == n ? EXIT_OK : ok == 0 ? EXIT_NO_SPACE : EXIT_FAILURES;
}
