-- Vehicles re-keyed by customer, every vehicle in the list (the cap is applied in 040), as 030.
CREATE TABLE IF NOT EXISTS vehicles_by_customer
  WITH (KAFKA_TOPIC = 'rtdw.ksql.vehicles_by_customer', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    `customer_id`,
    CAST(COUNT(*) AS INT) AS `vehicle_count`,
    COLLECT_LIST(STRUCT(`vehicle_id` := `vehicle_id`, `model_year` := `model_year`, `model` := `model`,
                        `maker` := `maker`, `vehicle_year` := `vehicle_year`, `category` := `category`,
                        `updated_at` := `updated_at`, `source_ts_ms` := FROM_UNIXTIME(`source_ts_ms`))) AS `vehicles`
  FROM vehicles_current
  GROUP BY `customer_id`
  EMIT CHANGES;
