-- The one-to-many side re-keyed by customer: a table aggregation (GROUP BY on a table) retracts a flight from its
-- old customer and adds it to the new one when customer_id changes, and retracts it on delete. This replaces a
-- foreign-key join, which would give one row per flight rather than one per customer (ksql/README.md).
-- Orphans (no such customer) simply wait here until the customer appears. Only undoable aggregates (COUNT, SUM,
-- COLLECT_LIST) work on a table; MAX does not, so 040 takes the newest commit time from the array.
-- The list holds every flight of the customer (up to ksql.functions.collect_list.limit, set far above the output cap
-- in k8s/ksqldb): 040 applies the cap, so a flight that did not fit comes back when a kept one leaves.
CREATE TABLE IF NOT EXISTS flights_by_customer
  WITH (KAFKA_TOPIC = 'rtdw.ksql.flights_by_customer', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    `customer_id`,
    CAST(COUNT(*) AS INT) AS `flight_count`,
    COLLECT_LIST(STRUCT(`flight_id` := `flight_id`, `airport` := `airport`, `airline` := `airline`,
                        `iata_code` := `iata_code`, `updated_at` := `updated_at`,
                        `source_ts_ms` := FROM_UNIXTIME(`source_ts_ms`))) AS `flights`
  FROM flights_current
  GROUP BY `customer_id`
  EMIT CHANGES;
