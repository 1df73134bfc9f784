-- customers LEFT JOIN flights LEFT JOIN vehicles, all three keyed by customer id: primary-key joins, which ksqlDB
-- chains in one statement. The record follows the streams app's (streams-app/README.md, "The output record"); what
-- still differs is listed in ksql/README.md.
-- * Arrays are never NULL: a customer without flights (LEFT JOIN miss) or a deleted customer gets an empty array.
--   ksqlDB rejects an empty array literal ("Array constructor cannot be empty"), so the empty array is a one-element
--   array of the item type filtered to nothing (FILTER(ARRAY[...], e => false)); every step below returns NULL for a
--   NULL array, and COALESCE replaces it.
-- * The cap (RTDW_MAX_CHILDREN of the streams app, 100): the newest items by source commit time, ties to the higher
--   id, ordered by id. ARRAY_SORT sorts only primitive values, so every item gets a fixed-width sort key: 19 digits
--   of its commit time (epoch ms) and 10 digits of its id shifted by 2^31 (ids may be 0 or negative), which sort as
--   (time, id). The first 100 keys in descending order are kept (SLICE returns NULL past the end, hence the LEAST),
--   their id parts sorted ascending, and each id mapped back to its item (AS_MAP from id to item).
--   030/031 hold every child of the customer, so when a kept child leaves, the next newest one comes back.
-- * A deleted customer keeps deleted = true here, with counts 0 and empty arrays; 050 turns it into a tombstone.
-- * source_ts_ms: the newest commit time of the customer row and of all its current children.
CREATE TABLE IF NOT EXISTS unified_joined
  WITH (KAFKA_TOPIC = 'rtdw.ksql.unified_joined', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    c.`customer_id` AS `customer_id`,
    c.`deleted` AS `deleted`,
    FROM_UNIXTIME(GREATEST(c.`source_ts_ms`,
      COALESCE(ARRAY_MAX(TRANSFORM(f.`flights`, x => UNIX_TIMESTAMP(x->`source_ts_ms`))), CAST(0 AS BIGINT)),
      COALESCE(ARRAY_MAX(TRANSFORM(v.`vehicles`, x => UNIX_TIMESTAMP(x->`source_ts_ms`))), CAST(0 AS BIGINT))))
      AS `source_ts_ms`,
    c.`name` AS `name`, c.`gender` AS `gender`, c.`address` AS `address`, c.`phone` AS `phone`,
    c.`email` AS `email`, c.`photo_url` AS `photo_url`, c.`birth_date` AS `birth_date`,
    c.`profession` AS `profession`, c.`updated_at` AS `updated_at`,
    CASE WHEN c.`deleted` THEN 0 ELSE COALESCE(f.`flight_count`, 0) END AS `flight_count`,
    CASE WHEN c.`deleted` THEN 0 ELSE COALESCE(v.`vehicle_count`, 0) END AS `vehicle_count`,
    COALESCE(
      CASE WHEN NOT c.`deleted` THEN
        TRANSFORM(
          ARRAY_SORT(TRANSFORM(
            SLICE(ARRAY_SORT(TRANSFORM(f.`flights`, x => CONCAT(LPAD(CAST(UNIX_TIMESTAMP(x->`source_ts_ms`) AS STRING), 19, '0'),
                                 LPAD(CAST(CAST(x->`flight_id` AS BIGINT) + 2147483648 AS STRING), 10, '0'))), 'DESC'),
                  1, LEAST(100, ARRAY_LENGTH(f.`flights`))),
            r => SUBSTRING(r, 20))),
          k => AS_MAP(TRANSFORM(f.`flights`, y => LPAD(CAST(CAST(y->`flight_id` AS BIGINT) + 2147483648 AS STRING), 10, '0')), f.`flights`)[k])
      END,
      FILTER(ARRAY[STRUCT(`flight_id` := CAST(NULL AS INT), `airport` := CAST(NULL AS STRING),
        `airline` := CAST(NULL AS STRING), `iata_code` := CAST(NULL AS STRING), `updated_at` := CAST(NULL AS BIGINT),
        `source_ts_ms` := CAST(NULL AS TIMESTAMP))], e => false)) AS `flights`,
    COALESCE(
      CASE WHEN NOT c.`deleted` THEN
        TRANSFORM(
          ARRAY_SORT(TRANSFORM(
            SLICE(ARRAY_SORT(TRANSFORM(v.`vehicles`, x => CONCAT(LPAD(CAST(UNIX_TIMESTAMP(x->`source_ts_ms`) AS STRING), 19, '0'),
                                 LPAD(CAST(CAST(x->`vehicle_id` AS BIGINT) + 2147483648 AS STRING), 10, '0'))), 'DESC'),
                  1, LEAST(100, ARRAY_LENGTH(v.`vehicles`))),
            r => SUBSTRING(r, 20))),
          k => AS_MAP(TRANSFORM(v.`vehicles`, y => LPAD(CAST(CAST(y->`vehicle_id` AS BIGINT) + 2147483648 AS STRING), 10, '0')), v.`vehicles`)[k])
      END,
      FILTER(ARRAY[STRUCT(`vehicle_id` := CAST(NULL AS INT), `model_year` := CAST(NULL AS STRING),
        `model` := CAST(NULL AS STRING), `maker` := CAST(NULL AS STRING), `vehicle_year` := CAST(NULL AS INT),
        `category` := CAST(NULL AS STRING), `updated_at` := CAST(NULL AS TIMESTAMP),
        `source_ts_ms` := CAST(NULL AS TIMESTAMP))], e => false)) AS `vehicles`
  FROM customers_current c
  LEFT JOIN flights_by_customer f ON c.`customer_id` = f.`customer_id`
  LEFT JOIN vehicles_by_customer v ON c.`customer_id` = v.`customer_id`
  EMIT CHANGES;
