/* test-bit-tally.c — counts per image to a ceiling (db/bit-tally.h) against
 * plain arrays of counts, over random bitmaps of every container kind. */
#include <stdint.h>
#include <stdlib.h>

#include "db/bit-tally.h"
#include "tests/unit/check.h"

#define IDS (3 * 65536)

static uint32_t seed = 12345;

static uint32_t
rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* A random bitmap: sparse, dense or runs, over IDS ids; counted into n. */
static roaring_bitmap_t *
random_bitmap(int *n)
{
	roaring_bitmap_t *b = roaring_bitmap_create();
	int kind = (int)(rnd() % 3);
	for (uint32_t id = 0; id < IDS; id++) {
		bool in = kind == 0 ? rnd() % 97 == 0 : kind == 1 ? rnd() % 3 == 0
		    : (id / 4096) % 2 == rnd() % 2 && rnd() % 5 != 0;
		if (in) {
			roaring_bitmap_add(b, id);
			n[id]++;
		}
	}
	roaring_bitmap_run_optimize(b);
	return b;
}

static int
ceil_of(int n)
{
	return n < BIT_TALLY_MAX ? n : BIT_TALLY_MAX;
}

int
main(void)
{
	int *na = calloc(IDS, sizeof *na), *nb = calloc(IDS, sizeof *nb);
	for (int round = 0; round < 6; round++) {
		struct bit_tally a, b;
		bit_tally_init(&a);
		bit_tally_init(&b);
		for (uint32_t id = 0; id < IDS; id++) {
			na[id] = nb[id] = 0;
		}
		int adds_a = 1 + (int)(rnd() % 7), adds_b = (int)(rnd() % 6);
		for (int i = 0; i < adds_a; i++) {
			roaring_bitmap_t *r = random_bitmap(na);
			bit_tally_add(&a, r);
			roaring_bitmap_free(r);
		}
		for (int i = 0; i < adds_b; i++) {
			roaring_bitmap_t *r = random_bitmap(nb);
			bit_tally_add(&b, r);
			roaring_bitmap_free(r);
		}
		/* Every level holds the images counted more than j times. */
		int wrong = 0;
		for (uint32_t id = 0; id < IDS; id++) {
			for (int j = 0; j < BIT_TALLY_MAX; j++) {
				wrong += roaring_bitmap_contains(a.ge[j], id) != (na[id] > j);
			}
		}
		CHECK_INT(wrong, 0);
		/* More: a's count above b's, as far as the ceiling tells. */
		roaring_bitmap_t *more = bit_tally_more(&a, &b);
		wrong = 0;
		int told = 0;
		for (uint32_t id = 0; id < IDS; id++) {
			bool want = ceil_of(na[id]) > nb[id] && nb[id] < BIT_TALLY_MAX;
			bool got = roaring_bitmap_contains(more, id);
			wrong += got != want;
			/* Never more than the true counts say. */
			wrong += got && !(na[id] > nb[id]);
			told += got;
		}
		CHECK_INT(wrong, 0);
		CHECK(told > 0);
		roaring_bitmap_free(more);
		bit_tally_fini(&a);
		bit_tally_fini(&b);
	}
	free(na);
	free(nb);
	return check_done();
}
