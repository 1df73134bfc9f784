-- Admin step: the capture's own role, with the least it needs (cdc-sources README, "Least privilege").
-- Run by a DBA in the captured database, as a superuser (or a role with CREATEROLE that itself has REPLICATION),
-- after sql/002_cdc.sql (which the tables' owner runs: REPLICA IDENTITY FULL and the publication). Idempotent.
-- What the capture then does as rtdw_cdc: LOGIN, a replication connection to create and read its slot (REPLICATION),
-- SELECT on the two captured tables for the snapshot. It owns nothing and may create nothing; it reads no other table.
-- No password here: set it from your secret store, e.g. psql's \password rtdw_cdc, and give it to the capture as
-- PG_PASSWORD (PG_USER=rtdw_cdc).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rtdw_cdc') THEN
    CREATE ROLE rtdw_cdc WITH LOGIN REPLICATION;
  END IF;
END
$$;
ALTER ROLE rtdw_cdc WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO rtdw_cdc', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO rtdw_cdc;
GRANT SELECT ON TABLE public.customers, public.flight TO rtdw_cdc;
