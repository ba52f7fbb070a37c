/*
 * fuzz-termcap.c — the terminal's answers to the console's queries
 * (tui/termcap.c): whatever the terminal, or a program pretending to be
 * one, writes back.  tui/ is no library, so its one source file is compiled
 * in here.  Checked: the cell size stays in bounds and the bytes kept as
 * typed keys are the input's, in order.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tui/termcap.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096) {
		return 0; /* the console reads at most 1 kB */
	}
	struct termcap tc;
	memset(&tc, 0, sizeof tc);
	bool kitty = false, sixel = false;
	termcap_parse_replies(&tc, (const char *)data, (int)size, &kitty, &sixel);
	if (tc.cell_w < 0 || tc.cell_w > 100000 || tc.cell_h < 0 || tc.cell_h > 100000 ||
	    tc.n_typed < 0 || tc.n_typed > (int)sizeof tc.typed) {
		abort();
	}
	/* typed is a subsequence of the input. */
	size_t j = 0;
	for (int i = 0; i < tc.n_typed; i++) {
		while (j < size && data[j] != (uint8_t)tc.typed[i]) {
			j++;
		}
		if (j++ >= size) {
			abort();
		}
	}
	return 0;
}
