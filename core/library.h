/*
 * library.h — find and open the library database.
 */
#ifndef TAGCON_LIBRARY_H
#define TAGCON_LIBRARY_H

struct db;

/*
 * The database path: flag (from --db) if given, else $TAGCON_DB, else
 * $XDG_DATA_HOME/tagcon/tagcon.db (~/.local/share/tagcon/tagcon.db).
 * Returns a new string.
 */
char *library_db_path(const char *flag);

/* Create the parent directory if needed and open the database there. */
struct db *library_open(const char *flag, char **cause);

#endif
