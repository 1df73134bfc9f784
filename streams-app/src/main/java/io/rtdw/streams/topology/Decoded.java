package io.rtdw.streams.topology;

import io.rtdw.schemas.DeadLetter;

/**
 * A source record after decoding: either the change, or the dead letter explaining why it cannot be applied.
 * Lives only between two processors of one sub-topology, never serialized.
 */
public record Decoded<V>(V change, DeadLetter deadLetter) {

    static <V> Decoded<V> ok(final V change) {
        return new Decoded<>(change, null);
    }

    static <V> Decoded<V> rejected(final DeadLetter deadLetter) {
        return new Decoded<>(null, deadLetter);
    }

    boolean isDeadLetter() {
        return deadLetter != null;
    }
}
