package io.rtdw.cdc.connect;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;

import java.util.Map;

/**
 * Kafka Connect SMT for the Debezium connectors on Kafka Connect: sets the record timestamp to the source commit
 * time ({@code source.ts_ms}, or MongoDB's {@code source.wallTime} when present), as the embedded capture does, and
 * copies the MongoDB resume token from the source offset into the {@code rtdw.resume_token} header so
 * {@link ChangeRecordConverter} can record it, and the key's id (a MongoDB delete without pre-image has no other).
 */
public final class CommitTimestamp implements Transformation<SourceRecord> {

    /** Header that carries the MongoDB resume token to the converter. */
    public static final String RESUME_TOKEN_HEADER = "rtdw.resume_token";
    /** Header that carries the key's id to the value converter (a MongoDB delete has no other trace of it). */
    public static final String KEY_ID_HEADER = "rtdw.key_id";

    @Override
    public SourceRecord apply(final SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("source") == null) {
            return record;
        }
        final Struct source = value.getStruct("source");
        Long ts = source.schema().field("wallTime") != null ? source.getInt64("wallTime") : null;
        if (ts == null) {
            ts = source.getInt64("ts_ms");
        }
        final SourceRecord out = record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(),
                record.key(), record.valueSchema(), record.value(), ts, record.headers().duplicate());
        final Object token = record.sourceOffset() == null ? null : record.sourceOffset().get("resume_token");
        if (token != null) {
            out.headers().addString(RESUME_TOKEN_HEADER, token.toString());
        }
        if (record.key() instanceof Struct key && key.schema().field("id") != null && key.get("id") != null) {
            out.headers().addString(KEY_ID_HEADER, key.get("id").toString());
        }
        return out;
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public void close() {
        // stateless
    }

    @Override
    public void configure(final Map<String, ?> configs) {
        // nothing to configure
    }
}
