/* theme.c — theme files (GKeyFile) to curses colour pairs. */
#include "tui/theme.h"

#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

#define COLOR_DEFAULT (-1)
/* A colour given as #rrggbb, kept as RGB until the terminal is known. */
#define RGB_FLAG 0x40000000

struct style {
	int fg;
	int bg;
	attr_t attrs;
};

struct theme {
	char *name;
	bool colour;
	struct style roles[THEME_N_ROLES];
};

static const char *const role_names[THEME_N_ROLES] = {
	"normal", "header", "tab", "tab-active", "status", "status-key", "error", "warning",
	"ok", "title", "column", "selected", "cursor", "dim", "border", "input", "bar-on",
	"bar-off", "rating", "character", "general", "user", "accepted", "rejected",
	"committed", "placeholder",
};

#define D COLOR_DEFAULT
/* The built-in dark theme: what themes/default.theme also says. */
static const struct style builtin_colour[THEME_N_ROLES] = {
	[THEME_NORMAL] = {D, D, A_NORMAL},
	[THEME_HEADER] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
	[THEME_TAB] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
	[THEME_TAB_ACTIVE] = {COLOR_WHITE, COLOR_BLUE, A_BOLD},
	[THEME_STATUS] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
	[THEME_STATUS_KEY] = {COLOR_WHITE, COLOR_BLUE, A_BOLD},
	[THEME_ERROR] = {COLOR_RED, D, A_BOLD},
	[THEME_WARNING] = {COLOR_YELLOW, D, A_NORMAL},
	[THEME_OK] = {COLOR_GREEN, D, A_NORMAL},
	[THEME_TITLE] = {COLOR_CYAN, D, A_BOLD},
	[THEME_COLUMN] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL},
	[THEME_SELECTED] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL},
	[THEME_CURSOR] = {D, D, A_REVERSE},
	[THEME_DIM] = {D, D, A_DIM},
	[THEME_BORDER] = {COLOR_BLUE, D, A_NORMAL},
	[THEME_INPUT] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL},
	[THEME_BAR_ON] = {COLOR_GREEN, D, A_NORMAL},
	[THEME_BAR_OFF] = {D, D, A_DIM},
	[THEME_RATING] = {COLOR_MAGENTA, D, A_NORMAL},
	[THEME_CHARACTER] = {COLOR_YELLOW, D, A_NORMAL},
	[THEME_GENERAL] = {D, D, A_NORMAL},
	[THEME_USER] = {COLOR_CYAN, D, A_NORMAL},
	[THEME_ACCEPTED] = {COLOR_GREEN, D, A_BOLD},
	[THEME_REJECTED] = {COLOR_RED, D, A_NORMAL},
	[THEME_COMMITTED] = {COLOR_GREEN, D, A_NORMAL},
	[THEME_PLACEHOLDER] = {COLOR_YELLOW, D, A_REVERSE},
};

/* Attributes only: every role must still read differently in black and white. */
static const struct style builtin_mono[THEME_N_ROLES] = {
	[THEME_NORMAL] = {D, D, A_NORMAL},
	[THEME_HEADER] = {D, D, A_REVERSE},
	[THEME_TAB] = {D, D, A_REVERSE},
	[THEME_TAB_ACTIVE] = {D, D, A_BOLD | A_UNDERLINE},
	[THEME_STATUS] = {D, D, A_REVERSE},
	[THEME_STATUS_KEY] = {D, D, A_BOLD},
	[THEME_ERROR] = {D, D, A_BOLD | A_UNDERLINE},
	[THEME_WARNING] = {D, D, A_BOLD},
	[THEME_OK] = {D, D, A_NORMAL},
	[THEME_TITLE] = {D, D, A_BOLD},
	[THEME_COLUMN] = {D, D, A_UNDERLINE},
	[THEME_SELECTED] = {D, D, A_REVERSE},
	[THEME_CURSOR] = {D, D, A_UNDERLINE},
	[THEME_DIM] = {D, D, A_DIM},
	[THEME_BORDER] = {D, D, A_NORMAL},
	[THEME_INPUT] = {D, D, A_UNDERLINE},
	[THEME_BAR_ON] = {D, D, A_NORMAL},
	[THEME_BAR_OFF] = {D, D, A_DIM},
	[THEME_RATING] = {D, D, A_NORMAL},
	[THEME_CHARACTER] = {D, D, A_BOLD},
	[THEME_GENERAL] = {D, D, A_NORMAL},
	[THEME_USER] = {D, D, A_UNDERLINE},
	[THEME_ACCEPTED] = {D, D, A_BOLD},
	[THEME_REJECTED] = {D, D, A_DIM},
	[THEME_COMMITTED] = {D, D, A_NORMAL},
	[THEME_PLACEHOLDER] = {D, D, A_REVERSE},
};
#undef D

int
theme_role_by_name(const char *name)
{
	for (int i = 0; i < THEME_N_ROLES; i++) {
		if (strcmp(role_names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}

static bool
parse_colour(const char *s, int *out)
{
	static const char *const names[] = {"black", "red", "green", "yellow", "blue",
		"magenta", "cyan", "white"};
	if (strcmp(s, "default") == 0) {
		*out = COLOR_DEFAULT;
		return true;
	}
	bool bright = strncmp(s, "bright-", 7) == 0;
	for (int i = 0; i < 8; i++) {
		if (strcmp(bright ? s + 7 : s, names[i]) == 0) {
			*out = i + (bright ? 8 : 0);
			return true;
		}
	}
	char *end;
	if (s[0] == '#' && strlen(s) == 7) {
		long v = strtol(s + 1, &end, 16);
		*out = RGB_FLAG | (int)v;
		return *end == '\0';
	}
	long v = strtol(s, &end, 10);
	*out = (int)v;
	return *s != '\0' && *end == '\0' && v >= 0 && v <= 255;
}

static bool
parse_attr(const char *s, attr_t *out)
{
	static const struct {
		const char *name;
		attr_t attr;
	} attrs[] = {
		{"normal", A_NORMAL}, {"bold", A_BOLD}, {"dim", A_DIM}, {"reverse", A_REVERSE},
		{"underline", A_UNDERLINE}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},
		{"blink", A_BLINK},
	};
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		if (strcmp(s, attrs[i].name) == 0) {
			*out |= attrs[i].attr;
			return true;
		}
	}
	return false;
}

/* "FG BG [ATTR...]" into st; false with *cause on a bad word. */
static bool
parse_style(const char *role, const char *value, struct style *st, char **cause)
{
	char **words = g_strsplit_set(value, " \t,", -1);
	struct style s = {COLOR_DEFAULT, COLOR_DEFAULT, A_NORMAL};
	int n = 0;
	bool ok = true;
	for (char **w = words; *w && ok; w++) {
		if (**w == '\0') {
			continue;
		}
		if (n == 0) {
			ok = parse_colour(*w, &s.fg);
		} else if (n == 1) {
			ok = parse_colour(*w, &s.bg);
		} else {
			ok = parse_attr(*w, &s.attrs);
		}
		if (!ok) {
			*cause = xasprintf("%s: '%s' is not a %s", role, *w,
			    n < 2 ? "colour" : "attribute");
		}
		n++;
	}
	g_strfreev(words);
	if (ok) {
		*st = s;
	}
	return ok;
}

static bool
load_file(struct theme *t, const char *path, char **cause)
{
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	bool ok = g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err);
	if (!ok) {
		*cause = xasprintf("%s: %s", path, err->message);
		g_error_free(err);
	}
	for (int i = 0; ok && i < THEME_N_ROLES; i++) {
		char *v = g_key_file_get_string(kf, "colors", role_names[i], NULL);
		if (v != NULL) {
			char *why = NULL;
			ok = parse_style(role_names[i], v, &t->roles[i], &why);
			if (!ok) {
				*cause = xasprintf("%s: %s", path, why);
				free(why);
			}
			g_free(v);
		}
	}
	g_key_file_free(kf);
	return ok;
}

static char *
exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0) {
		return NULL;
	}
	buf[n] = '\0';
	return g_path_get_dirname(buf);
}

/* The first NAME.theme on the search path (new string), or NULL. */
static char *
find_theme(const char *name)
{
	char *file = g_strconcat(name, ".theme", NULL);
	char *exe = exe_dir();
	const char *env = getenv("TAGCON_THEMES");
	char *dirs[] = {
		env != NULL ? g_strdup(env) : NULL,
		g_build_filename(g_get_user_config_dir(), "tagcon", "themes", NULL),
		exe != NULL ? g_build_filename(exe, "..", "share", "tagcon", "themes", NULL) : NULL,
		g_build_filename(TAGCON_DATADIR, "themes", NULL),
		/* a build directory inside the source tree: build/tui/tagcon */
		exe != NULL ? g_build_filename(exe, "..", "..", "themes", NULL) : NULL,
#ifdef TAGCON_SOURCE_THEMES
		/* a build directory anywhere else, not installed yet */
		g_strdup(TAGCON_SOURCE_THEMES),
#endif
	};
	char *found = NULL;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (found == NULL && dirs[i] != NULL) {
			char *p = g_build_filename(dirs[i], file, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
				found = p;
			} else {
				g_free(p);
			}
		}
		g_free(dirs[i]);
	}
	g_free(exe);
	g_free(file);
	return found;
}

static bool
valid_name(const char *name)
{
	if (*name == '\0' || strlen(name) > 64) {
		return false;
	}
	for (const char *p = name; *p; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_') {
			return false;
		}
	}
	return true;
}

struct theme *
theme_load(const char *name, bool colour, char **cause)
{
	struct theme *t = xcalloc(1, sizeof *t);
	t->colour = colour;
	const char *want = colour ? name : "monochrome";
	memcpy(t->roles, colour ? builtin_colour : builtin_mono, sizeof t->roles);
	t->name = xstrdup(want);
	if (cause != NULL) {
		*cause = NULL;
	}
	if (!valid_name(want)) {
		if (cause != NULL) {
			*cause = xasprintf("theme '%s': not a theme name", want);
		}
		return t;
	}
	char *path = find_theme(want);
	char *why = NULL;
	if (path == NULL) {
		why = xasprintf("theme '%s' not found (built-in colours used)", want);
	} else if (!load_file(t, path, &why)) {
		memcpy(t->roles, colour ? builtin_colour : builtin_mono, sizeof t->roles);
	}
	g_free(path);
	if (cause != NULL) {
		*cause = why;
	} else {
		free(why);
	}
	return t;
}

void
theme_destroy(struct theme *t)
{
	if (t == NULL) {
		return;
	}
	free(t->name);
	free(t);
}

const char *
theme_name(const struct theme *t)
{
	return t->name;
}

/* Nearest entry of the xterm 6×6×6 cube (16..231) or grey ramp (232..255). */
static int
rgb_to_256(int rgb)
{
	int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	int ri = r < 48 ? 0 : r < 115 ? 1 : (r - 35) / 40;
	int gi = g < 48 ? 0 : g < 115 ? 1 : (g - 35) / 40;
	int bi = b < 48 ? 0 : b < 115 ? 1 : (b - 35) / 40;
	if (ri == gi && gi == bi && r > 8 && r < 238) {
		return 232 + (r - 8) / 10;
	}
	return 16 + 36 * ri + 6 * gi + bi;
}

/* Nearest of the eight basic colours. */
static int
rgb_to_8(int rgb)
{
	int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	return (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0);
}

/* A theme colour as a colour number this terminal has. */
static int
terminal_colour(int c)
{
	if (c == COLOR_DEFAULT) {
		return -1;
	}
	if (c & RGB_FLAG) {
		c &= 0xffffff;
		if (COLORS >= 0x1000000) {
			return c;
		}
		return COLORS >= 256 ? rgb_to_256(c) : rgb_to_8(c);
	}
	if (c >= COLORS) {
		/* bright-X on an 8-colour terminal: X; a 256 index: its basic hue */
		return c < 16 ? c - 8 : rgb_to_8(c);
	}
	return c;
}

void
theme_apply(const struct theme *t)
{
	if (!t->colour || !has_colors()) {
		return;
	}
	for (int i = 0; i < THEME_N_ROLES; i++) {
		init_extended_pair(i + 1, terminal_colour(t->roles[i].fg),
		    terminal_colour(t->roles[i].bg));
	}
}

attr_t
theme_attr(const struct theme *t, enum theme_role role)
{
	attr_t a = t->roles[role].attrs;
	if (t->colour) {
		a |= COLOR_PAIR(role + 1);
	}
	return a;
}
