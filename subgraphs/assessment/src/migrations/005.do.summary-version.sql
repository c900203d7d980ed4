-- A per-tenant version of what campaign progress is computed from: the per-street summary, the
-- targets (counted directly below street level), the campaigns (which is latest, their deadlines)
-- and the unit copy. Every statement that changes one bumps it, so the service can keep a unit's
-- progress and reuse it exactly until the next change.
SELECT platform.track_summaries('assessment', ARRAY['progress_summary', 'target', 'campaign', 'unit_path']);
