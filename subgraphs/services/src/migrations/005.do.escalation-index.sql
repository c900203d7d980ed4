-- The escalation sweep (every five minutes for every tenant) reads only the orders that are due.
--
-- escalate_at is the instant an open order next escalates, computed by the database from the
-- row so that no write can forget it: the response deadline while it waits to be taken and has
-- not been escalated yet, otherwise the completion deadline until it has reached the street;
-- NULL when it never escalates again (done, closed, cancelled, or already at level 2). An order
-- is due when escalate_at < now, and a due order always escalates (a sweep moves its
-- escalate_at to a later deadline or to NULL), so a sweep reads the due rows once, in index order.
-- timestamptz comparisons are leakproof: the range is an index condition under the policy.
ALTER TABLE service_order ADD COLUMN escalate_at timestamptz GENERATED ALWAYS AS (
  CASE
    WHEN state IN ('DONE', 'CLOSED', 'CANCELLED') OR escalation_level >= 2 THEN NULL
    WHEN escalation_level = 0 AND state IN ('SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED') THEN response_due
    ELSE completion_due
  END) STORED;
COMMENT ON COLUMN service_order.escalate_at IS 'When the order next escalates (response deadline, then completion deadline); NULL when it never will. The sweep reads escalate_at < now.';

-- Only orders that can still escalate are indexed: open orders below the street level.
CREATE INDEX service_order_escalate_at ON service_order (tenant_id, escalate_at, id) WHERE escalate_at IS NOT NULL;

-- The previous sweep's index (open orders by both deadlines) answered an OR of two ranges and
-- led to every open order of the tenant; nothing else reads it.
DROP INDEX service_order_open_due;
