/*
 * batch-log.h — `tagcon batch --log FILE`: everything the runner prints
 * goes to FILE, one line at a time, each with the time and the run it
 * belongs to:
 *
 *	2026-12-06 04:12:09 run #14: tagcon: a.jpg: HTTP 500 ...
 *	2026-12-06 04:12:01 launch: tagcon: no Space configured ...
 *
 * ("launch" before the run has a row: what stopped it from starting).
 * The console starts its runners this way, one log per library.
 */
#ifndef TAGCON_BATCH_LOG_H
#define TAGCON_BATCH_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* Send stdout and stderr to path (appended, created 0600); false with
 * *cause (new string) when it cannot be opened. */
bool batch_log_open(const char *path, char **cause);
/* The run's number, for the lines that follow. */
void batch_log_set_run(int64_t id);
/* A last line with the exit status; flushes. */
void batch_log_close(int status);

#endif
