-- CDC of PostgreSQL public.customers (topic and fields: io.rtdw.catalog.TopicCatalog.customers(), CustomerChange.avsc).
-- KEY_FORMAT NONE: our keys are plain Avro without registry framing, which ksqlDB cannot decode; the id is read
-- from the value instead (after.id, or before.id for deletes).
CREATE STREAM IF NOT EXISTS customers_cdc (
  `op` STRING,
  `before` STRUCT<`id` INT, `nome` STRING, `sexo` STRING, `endereco` STRING, `telefone` STRING, `email` STRING,
                  `foto` STRING, `nascimento` DATE, `profissao` STRING, `dt_update` BIGINT>,
  `after` STRUCT<`id` INT, `nome` STRING, `sexo` STRING, `endereco` STRING, `telefone` STRING, `email` STRING,
                 `foto` STRING, `nascimento` DATE, `profissao` STRING, `dt_update` BIGINT>,
  `source` STRUCT<`connector` STRING, `db` STRING, `table` STRING, `commit_ts_ms` BIGINT, `position` STRING,
                  `sequence` BIGINT, `snapshot` BOOLEAN, `tx_id` STRING,
                  `epoch` STRING, `commit_sequence` BIGINT, `change_order` STRING>
) WITH (KAFKA_TOPIC = 'rtdw.public.customers', KEY_FORMAT = 'NONE', VALUE_FORMAT = 'AVRO');
