-- A per-tenant version of the summaries: every statement that changes member_rollup or the unit
-- copy (which decides what a unit's statistics cover) bumps it, so the service can keep a unit's
-- computed statistics and reuse them exactly until the next change.
SELECT platform.track_summaries('members', ARRAY['member_rollup', 'unit_path']);
