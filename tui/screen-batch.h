/*
 * screen-batch.h — the Batch screen: the newest run and its Spaces, read
 * from the database a few times a second, whichever process runs it.
 */
#ifndef TAGCON_SCREEN_BATCH_H
#define TAGCON_SCREEN_BATCH_H

#include <stddef.h>

/* One line for the tab line ("batch 45% 12.3/s ETA 7m"), "" when idle. */
void screen_batch_summary(void *data, char *buf, size_t n);

#endif
