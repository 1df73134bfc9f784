-- Current row per flight, keyed by flight id. HAVING drops deleted flights: the aggregate emits a tombstone for
-- them, which 030 sees as a retraction from the flight's last customer.
CREATE TABLE IF NOT EXISTS flights_current
  WITH (KAFKA_TOPIC = 'rtdw.ksql.flights_current', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    COALESCE(`after`->`id`, `before`->`id`) AS `flight_id`,
    LATEST_BY_OFFSET(`op`, false) AS `last_op`,
    LATEST_BY_OFFSET(`after`->`customer_id`, false) AS `customer_id`,
    LATEST_BY_OFFSET(`after`->`aeroporto`, false) AS `airport`,
    LATEST_BY_OFFSET(`after`->`linha_aerea`, false) AS `airline`,
    LATEST_BY_OFFSET(`after`->`cod_iata`, false) AS `iata_code`,
    LATEST_BY_OFFSET(`after`->`dt_update`, false) AS `updated_at`,
    LATEST_BY_OFFSET(`source`->`commit_ts_ms`, false) AS `source_ts_ms`
  FROM flights_cdc
  GROUP BY COALESCE(`after`->`id`, `before`->`id`)
  HAVING LATEST_BY_OFFSET(`op`, false) <> 'DELETE'
  EMIT CHANGES;
