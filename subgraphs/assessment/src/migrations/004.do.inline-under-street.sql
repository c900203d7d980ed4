-- under_street() as 002 defined it carried `SET search_path`, which keeps PostgreSQL from
-- inlining a SQL function: every call ran as its own planned statement, about 0.7 ms, once per
-- unit of a dashboard. Schema-qualified and without the SET clause, it is inlined into the
-- query that calls it. Same result: whether a STREET or TOWNSHIP is among the unit's ancestors.
CREATE OR REPLACE FUNCTION under_street(p_path ltree) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_path IS NOT NULL AND public.nlevel(p_path) > 1 AND EXISTS (
    SELECT 1 FROM unnest(string_to_array(public.subpath(p_path, 0, public.nlevel(p_path) - 1)::text, '.')) AS a(label)
      JOIN assessment.unit_path s ON s.tenant_id = platform.current_tenant() AND s.unit_id = a.label::uuid
     WHERE s.kind IN ('STREET', 'TOWNSHIP'))
$$;
-- CREATE OR REPLACE keeps the old function's settings: drop the SET clause explicitly.
ALTER FUNCTION under_street(ltree) RESET search_path;
