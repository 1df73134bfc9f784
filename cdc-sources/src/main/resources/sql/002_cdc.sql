-- What capture needs on top of the source DDL.
-- REPLICA IDENTITY FULL: UPDATE and DELETE events carry the whole old row (the topology needs the old customer_id
-- of a flight that moved or was deleted; with the default identity a DELETE carries only the primary key).
ALTER TABLE public.customers REPLICA IDENTITY FULL;
ALTER TABLE public.flight REPLICA IDENTITY FULL;

-- The publication pgoutput streams from. Created here (by the table owner) so the CDC user needs no CREATE rights;
-- the connector runs with publication.autocreate.mode=disabled.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'rtdw_publication') THEN
    CREATE PUBLICATION rtdw_publication FOR TABLE public.customers, public.flight;
  END IF;
END
$$;
