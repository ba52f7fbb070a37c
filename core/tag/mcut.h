/*
 * mcut.h — Maximum Cut Thresholding (Largeron et al. 2012), as the
 * wd-tagger Space computes it (space-protocol.md §1.4).
 *
 * Sort the scores descending p0 ≥ p1 ≥ …, take the largest drop
 * d_t = p_t − p_{t+1} (the first one on ties, like numpy's argmax) and put
 * the threshold half-way down it: (p_t + p_{t+1}) / 2.  Selection is strict
 * (score > threshold), so exactly the scores above the drop are kept.
 */
#ifndef TAGCON_MCUT_H
#define TAGCON_MCUT_H

#include <stdbool.h>
#include <stddef.h>

/* The Space's floor under a character MCut threshold. */
#define MCUT_CHARACTER_FLOOR 0.15

/*
 * MCut threshold of scores[0..n) (any order; not modified).  NaNs are
 * skipped.  With fewer than two scores there is no drop: the threshold is
 * half the only score (keeping it), or 1.0 when there is none.
 */
double mcut_threshold(const double *scores, size_t n);

/*
 * MCut over the scores tagcon stored, i.e. only those above the score floor
 * the Space was called with.  The Space itself cut over all ~10k scores; the
 * drops tagcon cannot see are the one from the smallest stored score down
 * into the unstored ones (at most that score) and those among the unstored
 * ones (below the floor, hence below any stored score).  So the largest
 * stored drop is the true largest when it is at least the smallest stored
 * score, and then *threshold is the Space's own answer and this returns
 * true.  Otherwise it returns false and *threshold is the stored-score MCut,
 * an approximation the caller must label as such (or ask the Space).
 * Fewer than two stored scores are never exact.
 */
bool mcut_threshold_stored(const double *scores, size_t n, double *threshold);

/* The Space's character MCut: never below MCUT_CHARACTER_FLOOR. */
double mcut_character(double threshold);

#endif
