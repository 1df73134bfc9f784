package io.rtdw.streams.topology;

import io.rtdw.serde.RegistrySerdes;
import io.rtdw.state.ChildState;
import io.rtdw.state.CustomerState;
import io.rtdw.state.TaskStats;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Typed access to the join's one store ({@link StateKeys} for the layout). Every value is registry-framed Avro
 * ({@link RegistrySerdes#state}): it carries the id of the schema it was written with, so another release reads it.
 */
final class JoinState {

    private static final BytesSerializer PREFIX = new BytesSerializer();

    private final KeyValueStore<Bytes, byte[]> store;
    private final Serdes serdes;

    JoinState(final KeyValueStore<Bytes, byte[]> store, final Serdes serdes) {
        this.store = store;
        this.serdes = serdes;
    }

    CustomerState customer(final int id) {
        return serdes.read(CustomerState.class, store.get(StateKeys.customer(id)));
    }

    void putCustomer(final int id, final CustomerState value) {
        store.put(StateKeys.customer(id), serdes.write(CustomerState.class, value));
    }

    void removeCustomer(final int id) {
        store.delete(StateKeys.customer(id));
    }

    ChildState child(final byte table, final int id) {
        return serdes.read(ChildState.class, store.get(StateKeys.child(table, id)));
    }

    void putChild(final byte table, final int id, final ChildState value) {
        store.put(StateKeys.child(table, id), serdes.write(ChildState.class, value));
    }

    void removeChild(final byte table, final int id) {
        store.delete(StateKeys.child(table, id));
    }

    <I extends SpecificRecord> void putItem(final Bytes key, final Class<I> type, final I item) {
        store.put(key, serdes.write(type, item));
    }

    void removeItem(final Bytes key) {
        store.delete(key);
    }

    /** The first {@code limit} items of a customer's family of {@code table}: its most recently changed children. */
    <I extends SpecificRecord> List<I> family(final int customer, final ChildTable<?, ?, I> table, final int limit) {
        final List<I> items = new ArrayList<>(Math.max(0, limit));
        if (limit <= 0) {
            return items;
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.prefixScan(StateKeys.familyPrefix(customer, table.tag()), PREFIX)) {
            while (it.hasNext() && items.size() < limit) {
                items.add(serdes.read(table.itemType(), it.next().value));
            }
        }
        return items;
    }

    void queuePurge(final Bytes key) {
        store.put(key, new byte[0]);
    }

    /** The purge queue up to removals at {@code removedAtMs}, oldest first. */
    KeyValueIterator<Bytes, byte[]> purgeQueue(final long removedAtMs) {
        return store.range(StateKeys.purgeStart(), StateKeys.purgeUpTo(removedAtMs));
    }

    void removeQueued(final Bytes key) {
        store.delete(key);
    }

    TaskStats stats() {
        final TaskStats stats = serdes.read(TaskStats.class, store.get(StateKeys.STATS_KEY));
        return stats == null ? TaskStats.newBuilder().build() : stats;
    }

    void putStats(final TaskStats stats) {
        store.put(StateKeys.STATS_KEY, serdes.write(TaskStats.class, stats));
    }

    /** The value serdes of the state, one per record class, all on the registry. */
    static final class Serdes {

        private final RegistrySerdes registry;
        private final Map<Class<?>, Serde<?>> byType = new ConcurrentHashMap<>();

        Serdes(final RegistrySerdes registry) {
            this.registry = registry;
        }

        /** The registry artifact of a state record: its full name (no topic: the state is the app's own). */
        static String artifact(final Class<?> type) {
            return "rtdw-state-" + type.getName();
        }

        @SuppressWarnings("unchecked")
        private <T extends SpecificRecord> Serde<T> serde(final Class<T> type) {
            return (Serde<T>) byType.computeIfAbsent(type, t -> registry.state(type));
        }

        <T extends SpecificRecord> byte[] write(final Class<T> type, final T value) {
            return serde(type).serializer().serialize(artifact(type), value);
        }

        <T extends SpecificRecord> T read(final Class<T> type, final byte[] bytes) {
            return bytes == null ? null : serde(type).deserializer().deserialize(artifact(type), bytes);
        }
    }
}
