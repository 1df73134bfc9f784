package io.rtdw.catalog;

import io.rtdw.schemas.DeadLetter;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.ByteBuffer;
import java.time.Instant;

/** Builds the {@link DeadLetter} of a consumed record that could not be read. */
public final class DeadLetters {

    private DeadLetters() {
    }

    /**
     * @param stage  component that rejects it ('streams-app', 'lake-sink' ...)
     * @param record the record as consumed, with its original bytes
     * @param reason human-readable reason, e.g. "undeserializable key: ..."
     * @param error  the exception, or null
     */
    public static DeadLetter of(final String stage, final ConsumerRecord<byte[], byte[]> record, final String reason,
                                final Throwable error) {
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setErrorClass(error == null ? null : error.getClass().getName())
                .setStage(stage)
                .setSourceTopic(record.topic())
                .setSourcePartition(record.partition())
                .setSourceOffset(record.offset())
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setFailedAtMs(Instant.now())
                .build();
    }
}
