"""answers.py — what db_store_answer() leaves besides the rows themselves,
for the tests and generators that write answers with sqlite3 (faster, or
shaped as no Space would answer): each answer's MCut cuts (schema 5) and the
suggestion histogram the triggers keep.

    sys.path.insert(0, "<tests>"); import answers
    con.execute(answers.CUTS + " WHERE content_id = ?", (cid,))
"""


def mcut(category):
    """DB_MCUT_SQL of db/db-private.h, over the answer row `tagged`."""
    return ("coalesce((SELECT CASE WHEN ns IS NULL THEN s / 2 ELSE (s + ns) / 2 END FROM"
            " (SELECT pm.score AS s, lead(pm.score) OVER (ORDER BY pm.score DESC) AS ns"
            " FROM predictions pm JOIN tags gm ON gm.id = pm.tag_id"
            " WHERE pm.content_id = tagged.content_id AND pm.model_id = tagged.model_id"
            " AND gm.category = %d) ORDER BY ns IS NULL, s - ns DESC, s DESC LIMIT 1), 1.0)"
            % category)


# Every answer's cuts (add a WHERE for some); the character one never below 0.15.
CUTS = ("UPDATE tagged SET mcut_general = %s, mcut_character = max(0.15, %s)"
        % (mcut(0), mcut(4)))

# suggest_hist from scratch, as its triggers keep it (db/schema.c, schema 5;
# db_search_hist_check() compares the same aggregate).  Empty the table first.
REBUILD = ("INSERT INTO suggest_hist(model_id, category, mcut, bucket, n)"
           " SELECT p.model_id, g.category, ((CASE g.category"
           "  WHEN 0 THEN p.score > t.mcut_general WHEN 4 THEN p.score > t.mcut_character END)"
           "  IS 1), CAST(p.score * 1000 AS INTEGER), count(*)"
           " FROM images i CROSS JOIN predictions p ON p.content_id = i.content_id"
           " CROSS JOIN tags g ON g.id = p.tag_id LEFT JOIN tagged t"
           "  ON t.content_id = p.content_id AND t.model_id = p.model_id"
           " WHERE i.state != 4 AND NOT EXISTS (SELECT 1 FROM decisions d"
           "  WHERE d.image_id = i.id AND d.tag_id = p.tag_id)"
           " GROUP BY 1, 2, 3, 4")
