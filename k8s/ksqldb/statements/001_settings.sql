-- Read every CDC topic from its beginning, so a fresh ksqlDB builds the full unified table.
SET 'auto.offset.reset' = 'earliest';
