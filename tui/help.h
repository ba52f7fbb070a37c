/*
 * help.h — what `tagcon --help`, `tagcon CMD --help` and `tagcon help CMD`
 * print, and the synopses the man page and the completion read.
 *
 * A command's one-line synopsis and summary are its cmd_entry (cli.h); its
 * long description is the COMMANDS section of doc/tagcon.1.scd.in, turned
 * into plain text at build time (doc/scd.py writes help-text.c), so the
 * help and the man page never say it twice.
 */
#ifndef TAGCON_HELP_H
#define TAGCON_HELP_H

#include <stdio.h>

#include "tui/cli.h"

/* The command list: each synopsis wrapped between words, then its summary. */
void help_overview(FILE *f, const struct cmd_entry *const *commands);
/* One command's whole help: its synopses, then its man page section. */
void help_command(FILE *f, const struct cmd_entry *e);

/*
 * Each synopsis of e, without "tagcon NAME": one per line of its usage and
 * per top-level " | " alternative ("get NAME", "set NAME VALUE", ...).
 */
void help_synopses(const struct cmd_entry *e, void (*fn)(void *ud, const char *syn),
    void *ud);

/* The plain-text body of a man page section: a command name, or
 * "EXIT STATUS"; NULL when there is none (help-text.c, generated). */
const char *help_text(const char *section);

#endif
