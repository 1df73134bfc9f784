-- The per-customer version: COUNT(*) over the join's changelog grows by exactly one per record of a customer,
-- whatever the sources' clocks say (Pinot's upsert comparison column, as in the streams app's output).
-- The key column must be declared (the KAFKA key format carries no schema); value columns come from the registry.
CREATE STREAM IF NOT EXISTS unified_joined_changes (`customer_id` INT KEY)
  WITH (KAFKA_TOPIC = 'rtdw.ksql.unified_joined', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

CREATE TABLE IF NOT EXISTS unified_customer
  WITH (KAFKA_TOPIC = 'rtdw.ksql.unified_customer', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    `customer_id`,
    LATEST_BY_OFFSET(`deleted`, false) AS `deleted`,
    COUNT(*) AS `version`,
    LATEST_BY_OFFSET(`source_ts_ms`, false) AS `source_ts_ms`,
    LATEST_BY_OFFSET(`name`, false) AS `name`,
    LATEST_BY_OFFSET(`gender`, false) AS `gender`,
    LATEST_BY_OFFSET(`address`, false) AS `address`,
    LATEST_BY_OFFSET(`phone`, false) AS `phone`,
    LATEST_BY_OFFSET(`email`, false) AS `email`,
    LATEST_BY_OFFSET(`photo_url`, false) AS `photo_url`,
    LATEST_BY_OFFSET(`birth_date`, false) AS `birth_date`,
    LATEST_BY_OFFSET(`profession`, false) AS `profession`,
    LATEST_BY_OFFSET(`updated_at`, false) AS `updated_at`,
    LATEST_BY_OFFSET(`flight_count`, false) AS `flight_count`,
    LATEST_BY_OFFSET(`vehicle_count`, false) AS `vehicle_count`,
    LATEST_BY_OFFSET(`flights`, false) AS `flights`,
    LATEST_BY_OFFSET(`vehicles`, false) AS `vehicles`
  FROM unified_joined_changes
  GROUP BY `customer_id`
  EMIT CHANGES;
