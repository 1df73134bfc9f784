-- CDC of PostgreSQL public.flight (TopicCatalog.flights(), FlightChange.avsc).
CREATE STREAM IF NOT EXISTS flights_cdc (
  `op` STRING,
  `before` STRUCT<`id` INT, `customer_id` INT, `aeroporto` STRING, `linha_aerea` STRING, `cod_iata` STRING,
                  `dt_update` BIGINT>,
  `after` STRUCT<`id` INT, `customer_id` INT, `aeroporto` STRING, `linha_aerea` STRING, `cod_iata` STRING,
                 `dt_update` BIGINT>,
  `source` STRUCT<`connector` STRING, `db` STRING, `table` STRING, `commit_ts_ms` BIGINT, `position` STRING,
                  `sequence` BIGINT, `snapshot` BOOLEAN, `tx_id` STRING,
                  `epoch` STRING, `commit_sequence` BIGINT, `change_order` STRING>
) WITH (KAFKA_TOPIC = 'rtdw.public.flight', KEY_FORMAT = 'NONE', VALUE_FORMAT = 'AVRO');
