-- Current row per customer. Every column takes the newest change's value (LATEST_BY_OFFSET with ignoreNulls =
-- false, so a DELETE's nulls win). A deleted customer stays as a row with deleted = true rather than vanishing, so the
-- delete travels through the join as a record: 050 counts it (the version keeps growing across a delete and a
-- re-creation) and turns it into the tombstone of the final table.
CREATE TABLE IF NOT EXISTS customers_current
  WITH (KAFKA_TOPIC = 'rtdw.ksql.customers_current', PARTITIONS = 6, REPLICAS = 3,
        KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO') AS
  SELECT
    COALESCE(`after`->`id`, `before`->`id`) AS `customer_id`,
    LATEST_BY_OFFSET(`op` = 'DELETE', false) AS `deleted`,
    LATEST_BY_OFFSET(`after`->`nome`, false) AS `name`,
    LATEST_BY_OFFSET(`after`->`sexo`, false) AS `gender`,
    LATEST_BY_OFFSET(`after`->`endereco`, false) AS `address`,
    LATEST_BY_OFFSET(`after`->`telefone`, false) AS `phone`,
    LATEST_BY_OFFSET(`after`->`email`, false) AS `email`,
    LATEST_BY_OFFSET(`after`->`foto`, false) AS `photo_url`,
    LATEST_BY_OFFSET(`after`->`nascimento`, false) AS `birth_date`,
    LATEST_BY_OFFSET(`after`->`profissao`, false) AS `profession`,
    LATEST_BY_OFFSET(`after`->`dt_update`, false) AS `updated_at`,
    LATEST_BY_OFFSET(`source`->`commit_ts_ms`, false) AS `source_ts_ms`
  FROM customers_cdc
  GROUP BY COALESCE(`after`->`id`, `before`->`id`)
  EMIT CHANGES;
