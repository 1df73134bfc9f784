-- The per-customer version: COUNT(*) over the join's changelog grows by one with every record of a customer,
-- whatever the sources' clocks say (Pinot's upsert comparison column, as in the streams app's output).
-- The stream declares every column, key and value, with the types 040 produces (KsqlChecker infers them and checks
-- this list), so nothing depends on ksqlDB finding 040's value schema in the registry.
CREATE STREAM IF NOT EXISTS unified_joined_changes (
  `customer_id` INT KEY,
  `deleted` BOOLEAN,
  `source_ts_ms` TIMESTAMP,
  `name` STRING, `gender` STRING, `address` STRING, `phone` STRING, `email` STRING, `photo_url` STRING,
  `birth_date` DATE, `profession` STRING, `updated_at` BIGINT,
  `flight_count` INT,
  `vehicle_count` INT,
  `flights` ARRAY<STRUCT<`flight_id` INT, `airport` STRING, `airline` STRING, `iata_code` STRING,
                         `updated_at` BIGINT, `source_ts_ms` TIMESTAMP>>,
  `vehicles` ARRAY<STRUCT<`vehicle_id` INT, `model_year` STRING, `model` STRING, `maker` STRING,
                          `vehicle_year` INT, `category` STRING, `updated_at` TIMESTAMP, `source_ts_ms` TIMESTAMP>>
) WITH (KAFKA_TOPIC = 'rtdw.ksql.unified_joined', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- The final table. A deleted customer leaves it through HAVING: a row that stops matching a HAVING clause is written
-- as a tombstone (ksqlDB's having.json tests), so the compacted topic ends in a tombstone for it, as the streams
-- app's does. The count keeps running in the aggregate's state, so a re-created customer continues its versions.
CREATE TABLE IF NOT EXISTS unified_customer
  WITH (KAFKA_TOPIC = 'rtdw.ksql.unified_customer', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO', VALUE_SCHEMA_FULL_NAME = 'io.rtdw.schemas.UnifiedCustomer') AS
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
  HAVING NOT LATEST_BY_OFFSET(`deleted`, false)
  EMIT CHANGES;
