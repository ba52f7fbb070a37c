/*
 * theme.h — the console's colours, from themes/NAME.theme (GLib key files).
 *
 * A theme maps roles (what a piece of text is: a header, a selected row, a
 * rejected tag) to a foreground, a background and attributes:
 *
 *     [colors]
 *     selected = black yellow bold
 *
 * Colours are names (default, black … white, bright-red …), 0–255 or
 * #rrggbb, mapped to what the terminal has.  Without colour (NO_COLOR,
 * TERM=vt100/linux, a terminal without colours) only attributes are used,
 * from the monochrome theme, so every role stays distinguishable.  A role a
 * file leaves out keeps the built-in value; a broken file falls back to the
 * built-in theme and says why.
 */
#ifndef TAGCON_THEME_H
#define TAGCON_THEME_H

#include <curses.h>
#include <stdbool.h>

enum theme_role {
	THEME_NORMAL,
	THEME_HEADER,
	THEME_TAB,
	THEME_TAB_ACTIVE,
	THEME_STATUS,
	THEME_STATUS_KEY,
	THEME_ERROR,
	THEME_WARNING,
	THEME_OK,
	THEME_TITLE,
	THEME_COLUMN,
	THEME_SELECTED,
	THEME_CURSOR, /* the cursor row of a pane without focus */
	THEME_DIM,
	THEME_BORDER,
	THEME_INPUT,
	THEME_BAR_ON,
	THEME_BAR_OFF,
	THEME_RATING,
	THEME_CHARACTER,
	THEME_GENERAL,
	THEME_USER,
	THEME_ACCEPTED,
	THEME_REJECTED,
	THEME_COMMITTED,
	THEME_PLACEHOLDER,
	THEME_N_ROLES,
};

struct theme;

/*
 * Load the theme called name (file name without ".theme") from the search
 * path: $TAGCON_THEMES, $XDG_CONFIG_HOME/tagcon/themes, share/tagcon/themes
 * beside the binary's prefix (a DESTDIR or moved copy), the configured
 * datadir, then the source tree (a build not installed).  With colour
 * false the monochrome theme's attributes are used whatever name says.
 * Always returns a theme; *cause (may be NULL) says what went wrong.
 */
struct theme *theme_load(const char *name, bool colour, char **cause);
void theme_destroy(struct theme *t);
const char *theme_name(const struct theme *t);

/* Define the colour pairs of t (after start_color); no-op without colour. */
void theme_apply(const struct theme *t);
/* Attributes (colour pair included) to draw role with. */
attr_t theme_attr(const struct theme *t, enum theme_role role);

/* The role named name ("selected"), or -1 (for tests and error messages). */
int theme_role_by_name(const char *name);

#endif
