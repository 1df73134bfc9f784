package io.rtdw.streams.topology;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

/**
 * What {@link VersionStamper} remembers per customer: last version written, whether the customer is live, and the
 * content hash of the last record. Kept after a delete so a re-created customer continues the version.
 */
record VersionState(long version, boolean live, long contentHash) {

    private static final int SIZE = 17;

    static Serde<VersionState> serde() {
        final Serializer<VersionState> serializer = (topic, s) -> s == null ? null
                : ByteBuffer.allocate(SIZE).putLong(s.version).put((byte) (s.live ? 1 : 0)).putLong(s.contentHash)
                .array();
        final Deserializer<VersionState> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length != SIZE) {
                throw new SerializationException("version state must be " + SIZE + " bytes, was " + bytes.length);
            }
            final ByteBuffer b = ByteBuffer.wrap(bytes);
            return new VersionState(b.getLong(), b.get() == 1, b.getLong());
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
