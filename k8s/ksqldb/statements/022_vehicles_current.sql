-- Current document per vehicle, keyed by vehicle id; deleted vehicles leave the table (see 021).
CREATE TABLE IF NOT EXISTS vehicles_current
  WITH (KAFKA_TOPIC = 'rtdw.ksql.vehicles_current', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    COALESCE(`after`->`id`, `before`->`id`) AS `vehicle_id`,
    LATEST_BY_OFFSET(`op`, false) AS `last_op`,
    LATEST_BY_OFFSET(`after`->`customer_id`, false) AS `customer_id`,
    LATEST_BY_OFFSET(`after`->`ano_modelo`, false) AS `model_year`,
    LATEST_BY_OFFSET(`after`->`modelo`, false) AS `model`,
    LATEST_BY_OFFSET(`after`->`fabricante`, false) AS `maker`,
    LATEST_BY_OFFSET(`after`->`ano_veiculo`, false) AS `vehicle_year`,
    LATEST_BY_OFFSET(`after`->`categoria`, false) AS `category`,
    LATEST_BY_OFFSET(`after`->`dt_update`, false) AS `updated_at`,
    LATEST_BY_OFFSET(`source`->`commit_ts_ms`, false) AS `source_ts_ms`
  FROM vehicles_cdc
  GROUP BY COALESCE(`after`->`id`, `before`->`id`)
  HAVING LATEST_BY_OFFSET(`op`, false) <> 'DELETE'
  EMIT CHANGES;
