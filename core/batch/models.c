/* models.c — which models a probed Space offers. */
#include "core/batch/models.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/space/a1111.h"
#include "core/space/space.h"

/* The longest list of models a message quotes. */
#define OFFER_TEXT_MAX 160

bool
models_offered(const struct space_info *info, const char *model)
{
	if (info->kind == SPACEURL_A1111) {
		struct spaceerr err = SPACEERR_INIT;
		bool ok = a1111_pick_model(info->models, info->nmodels, model, &err) != NULL;
		spaceerr_fini(&err);
		return ok;
	}
	for (size_t i = 0; i < info->nmodels; i++) {
		if (strcmp(info->models[i], model) == 0) {
			return true;
		}
	}
	return info->nmodels == 0;
}

char *
models_offer_text(const struct space_info *info)
{
	char *list = xstrdup("");
	size_t i;
	for (i = 0; i < info->nmodels && strlen(list) < OFFER_TEXT_MAX; i++) {
		char *more = xasprintf("%s%s%s", list, i ? ", " : "", info->models[i]);
		free(list);
		list = more;
	}
	char *shown = spaceerr_quote(list, strlen(list));
	char *text = xasprintf("it offers %zu: %s%s", info->nmodels, shown,
	    i < info->nmodels ? ", …" : "");
	free(shown);
	free(list);
	return text;
}
