-- CDC of the MongoDB collection vehicle (TopicCatalog.vehicles(), VehicleChange.avsc).
CREATE STREAM IF NOT EXISTS vehicles_cdc (
  `op` STRING,
  `before` STRUCT<`id` INT, `customer_id` INT, `ano_modelo` STRING, `modelo` STRING, `fabricante` STRING,
                  `ano_veiculo` INT, `categoria` STRING, `dt_update` TIMESTAMP>,
  `after` STRUCT<`id` INT, `customer_id` INT, `ano_modelo` STRING, `modelo` STRING, `fabricante` STRING,
                 `ano_veiculo` INT, `categoria` STRING, `dt_update` TIMESTAMP>,
  `source` STRUCT<`connector` STRING, `db` STRING, `table` STRING, `commit_ts_ms` BIGINT, `position` STRING,
                  `sequence` BIGINT, `snapshot` BOOLEAN, `tx_id` STRING,
                  `epoch` STRING, `commit_sequence` BIGINT, `change_order` STRING>
) WITH (KAFKA_TOPIC = 'rtdw.rtdw.vehicle', KEY_FORMAT = 'NONE', VALUE_FORMAT = 'AVRO');
