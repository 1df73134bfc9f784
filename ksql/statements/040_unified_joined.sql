-- customers LEFT JOIN flights LEFT JOIN vehicles, all three keyed by customer id: primary-key joins, which ksqlDB
-- chains in one statement. A deleted customer keeps deleted = true and shows no children. Without children the
-- arrays are NULL (the streams app writes empty arrays): ksqlDB has no typed empty-array literal.
CREATE TABLE IF NOT EXISTS unified_joined
  WITH (KAFKA_TOPIC = 'rtdw.ksql.unified_joined', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    c.`customer_id` AS `customer_id`,
    c.`deleted` AS `deleted`,
    GREATEST(c.`source_ts_ms`,
             COALESCE(ARRAY_MAX(TRANSFORM(f.`flights`, x => x->`source_ts_ms`)), CAST(0 AS BIGINT)),
             COALESCE(ARRAY_MAX(TRANSFORM(v.`vehicles`, x => x->`source_ts_ms`)), CAST(0 AS BIGINT)))
      AS `source_ts_ms`,
    c.`name` AS `name`, c.`gender` AS `gender`, c.`address` AS `address`, c.`phone` AS `phone`,
    c.`email` AS `email`, c.`photo_url` AS `photo_url`, c.`birth_date` AS `birth_date`,
    c.`profession` AS `profession`, c.`updated_at` AS `updated_at`,
    CASE WHEN c.`deleted` THEN 0 ELSE COALESCE(f.`flight_count`, 0) END AS `flight_count`,
    CASE WHEN c.`deleted` THEN 0 ELSE COALESCE(v.`vehicle_count`, 0) END AS `vehicle_count`,
    CASE WHEN c.`deleted` THEN FILTER(f.`flights`, x => false) ELSE f.`flights` END AS `flights`,
    CASE WHEN c.`deleted` THEN FILTER(v.`vehicles`, x => false) ELSE v.`vehicles` END AS `vehicles`
  FROM customers_current c
  LEFT JOIN flights_by_customer f ON c.`customer_id` = f.`customer_id`
  LEFT JOIN vehicles_by_customer v ON c.`customer_id` = v.`customer_id`
  EMIT CHANGES;
