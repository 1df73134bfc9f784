package io.rtdw.streams.topology;

import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.PlainAvroSerde;
import io.rtdw.state.ChildState;
import io.rtdw.state.CustomerState;
import io.rtdw.state.TaskStats;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The join, in one processor over one store: every change of a customer, flight or vehicle is applied to the state
 * of its customer's partition, and the customers it touched are written to the output, in the transaction that
 * reads the change. No repartition topic: the capture writes each child change to its customer's partition
 * ({@link CustomerPartitioner}), and a child that moves to a customer of another partition to both.
 *
 * <p>Per change, in source commit order per row ({@link SourcePosition}; a change not after the applied one is
 * dropped):
 * <ul>
 *   <li>a customer change replaces the customer row (a delete clears it) and writes the customer;</li>
 *   <li>a child change moves the child's one item in the family store (a delete, or a move to a customer of
 *       another partition, removes it), adjusts the exact counts, and writes the old and the new customer.</li>
 * </ul>
 * The work per change does not grow with the family: one child state, one item, the customer states it touches,
 * and reading at most the cap of items per array (items are kept newest first, which is the cap's order).
 *
 * <p>Writing a customer ({@link #write}): the next version with the record built from state, unless identical to
 * the last one written; a customer without a row that was shown is written as a delete marker then a tombstone.
 * Orphans (children without a customer row) wait in state and appear with their customer.
 *
 * <p>At least once: the output and the state reach Kafka in no fixed order, so after a crash a replayed change may
 * find its effect in state but not in the output. With {@code rewriteOnReplay} a change dropped as not newer
 * writes the customers it touches again at their current version (a duplicate downstream, never a loss). Under
 * exactly once, state and output commit together and replays write nothing.
 */
final class JoinProcessor implements Processor<Object, Object, CustomerKey, UnifiedCustomer> {

    private static final Logger LOG = LoggerFactory.getLogger(JoinProcessor.class);
    private static final Duration PURGE_EVERY = Duration.ofMinutes(1);
    private static final int PURGE_BATCH = 10_000;

    private final String storeName;
    private final JoinState.Serdes serdes;
    private final int partitions;
    private final int maxChildren;
    private final boolean rewriteOnReplay;
    private final long removedRetentionMs;
    private final PipelineMetrics metrics;
    private final PlainAvroSerde<UnifiedCustomer> contentSerde = new PlainAvroSerde<>(UnifiedCustomer.class);
    private ProcessorContext<CustomerKey, UnifiedCustomer> context;
    private JoinState state;
    private int partition;
    private String task;
    private TaskStats stats;

    JoinProcessor(final String storeName, final JoinState.Serdes serdes, final int partitions, final int maxChildren,
                  final boolean rewriteOnReplay, final long removedRetentionMs, final PipelineMetrics metrics) {
        this.storeName = storeName;
        this.serdes = serdes;
        this.partitions = partitions;
        this.maxChildren = maxChildren;
        this.rewriteOnReplay = rewriteOnReplay;
        this.removedRetentionMs = removedRetentionMs;
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<CustomerKey, UnifiedCustomer> context) {
        this.context = context;
        final KeyValueStore<Bytes, byte[]> store = context.getStateStore(storeName);
        this.state = new JoinState(store, serdes);
        this.partition = context.taskId().partition();
        this.task = context.taskId().toString();
        this.stats = state.stats();
        metrics.orphanCustomers(task, stats.getOrphanCustomers());
        context.schedule(PURGE_EVERY, PunctuationType.WALL_CLOCK_TIME, this::purge);
    }

    @Override
    public void process(final Record<Object, Object> record) {
        final Object value = record.value();
        if (value instanceof CustomerChange change) {
            customer(((CustomerKey) record.key()).getId(), change);
        } else if (value instanceof FlightChange change) {
            child(ChildTable.FLIGHTS, ((FlightKey) record.key()).getId(), change);
        } else if (value instanceof VehicleChange change) {
            child(ChildTable.VEHICLES, ((VehicleKey) record.key()).getId(), change);
        } else {
            // DecodeProcessor only forwards the three change types: anything else is a bug of this build.
            throw new IllegalStateException("not a change record: " + (value == null ? null : value.getClass()));
        }
    }

    @Override
    public void close() {
        metrics.forgetTask(task);
    }

    private void customer(final int id, final CustomerChange change) {
        final SourceTable<CustomerKey, CustomerChange> table = SourceTable.CUSTOMERS;
        final CustomerState before = state.customer(id);
        final SourcePosition position = SourcePosition.of(change.getSource());
        if (!applies(table.name(), position, before == null ? null : before.getPosition())) {
            rewrite(id);
            return;
        }
        final CustomerState after = before == null ? CustomerState.newBuilder().build() : CustomerState.newBuilder(before).build();
        after.setPosition(ByteBuffer.wrap(position.toBytes()));
        after.setCustomer(change.getOp() == Op.DELETE ? null : change.getAfter());
        after.setCustomerTsMs(change.getSource().getCommitTsMs());
        write(id, before, after);
    }

    private <K, V, I extends org.apache.avro.specific.SpecificRecord> void child(final ChildTable<K, V, I> table,
                                                                                final int id, final V change) {
        final SourceTable<K, V> source = table.source();
        final ChildState before = state.child(table.tag(), id);
        final SourcePosition position = SourcePosition.of(source.source(change));
        if (!applies(source.name(), position, before == null ? null : before.getPosition())) {
            // The customers this change touched: where the state has the child now, and the two its images name.
            final Set<Integer> touched = new TreeSet<>();
            if (before != null && before.getCustomerId() != null) {
                touched.add(before.getCustomerId());
            }
            if (before != null && before.getLastCustomerId() != null) {
                touched.add(before.getLastCustomerId());
            }
            for (final Integer named : new Integer[] {table.afterCustomer().apply(change), table.beforeCustomer().apply(change)}) {
                if (named != null && ours(named)) {
                    touched.add(named);
                }
            }
            touched.forEach(this::rewrite);
            return;
        }
        final long commitTs = source.source(change).getCommitTsMs();
        final Integer named = source.op(change) == Op.DELETE ? null : table.afterCustomer().apply(change);
        final Integer owner = named != null && ours(named) ? named : null;
        final Integer oldOwner = before == null ? null : before.getCustomerId();

        if (oldOwner != null) {
            state.removeItem(StateKeys.family(oldOwner, table.tag(), before.getItemTsMs(), id));
        }
        if (owner != null) {
            state.putItem(StateKeys.family(owner, table.tag(), commitTs, id), table.itemType(),
                    table.item().apply(change));
        }
        final ChildState after = ChildState.newBuilder()
                .setPosition(ByteBuffer.wrap(position.toBytes()))
                .setCustomerId(owner)
                .setLastCustomerId(oldOwner != null && !oldOwner.equals(owner) ? oldOwner
                        : before == null ? null : before.getLastCustomerId())
                .setItemTsMs(owner == null ? 0 : commitTs)
                .setRemovedAtMs(0)
                .build();
        if (owner == null) {
            if (before == null) {
                // Never here (a delete or a change sent to every partition): nothing to remove, nothing to keep.
                return;
            }
            after.setRemovedAtMs(context.currentSystemTimeMs());
            state.queuePurge(StateKeys.purge(after.getRemovedAtMs(), table.tag(), id));
        }
        state.putChild(table.tag(), id, after);

        if (oldOwner != null && !oldOwner.equals(owner)) {
            familyChanged(oldOwner, table, -1, commitTs);
        }
        if (owner != null) {
            familyChanged(owner, table, owner.equals(oldOwner) ? 0 : 1, commitTs);
        }
    }

    /** One of {@code customer}'s children of {@code table} was added (+1), changed (0) or removed (-1). */
    private void familyChanged(final int customer, final ChildTable<?, ?, ?> table, final int delta, final long commitTs) {
        final CustomerState before = state.customer(customer);
        final CustomerState after = before == null ? CustomerState.newBuilder().build() : CustomerState.newBuilder(before).build();
        if (table == ChildTable.FLIGHTS) {
            after.setFlightCount(after.getFlightCount() + delta);
        } else {
            after.setVehicleCount(after.getVehicleCount() + delta);
        }
        after.setChildrenTsMs(Math.max(after.getChildrenTsMs(), commitTs));
        write(customer, before, after);
    }

    /** Whether a change at {@code position} applies over the row's applied one; counts what it drops. */
    private boolean applies(final String table, final SourcePosition position, final ByteBuffer appliedBytes) {
        final SourcePosition applied = SourcePosition.fromBytes(appliedBytes == null ? null : bytes(appliedBytes));
        switch (position.against(applied)) {
            case NOT_NEWER -> {
                metrics.changeDropped(table, position.equals(applied) ? "duplicate" : "older");
                return false;
            }
            case NEW_EPOCH -> metrics.epochStarted(table, applied.epoch(), position.epoch());
            case FIRST, NEWER -> {
                // applies
            }
        }
        metrics.applied(table, position);
        return true;
    }

    private boolean ours(final int customer) {
        return partitions == 1 || CustomerPartitioner.partition(customer, partitions) == partition;
    }

    /**
     * Stores {@code after} as the customer's state and writes the customer to the output when what it shows changed:
     * the next version of the record, or a delete marker and a tombstone when a shown customer lost its row.
     */
    private void write(final int id, final CustomerState before, final CustomerState after) {
        final long sourceTs = Math.max(after.getCustomerTsMs(), after.getChildrenTsMs());
        if (after.getCustomer() == null) {
            if (after.getLive()) {
                after.setVersion(after.getVersion() + 1);
                after.setLive(false);
                after.setContentHash(0);
                forwardDelete(id, after.getVersion(), sourceTs);
            }
        } else {
            final UnifiedCustomer unified = build(id, after, sourceTs);
            final long hash = contentHash(unified);
            if (!after.getLive() || hash != after.getContentHash()) {
                after.setVersion(after.getVersion() + 1);
                after.setLive(true);
                after.setContentHash(hash);
                unified.setVersion(after.getVersion());
                context.forward(new Record<>(new CustomerKey(id), unified, sourceTs));
                metrics.recordOut(false, lag(sourceTs));
            }
        }
        final long orphanDelta = (orphan(after) ? 1 : 0) - (orphan(before) ? 1 : 0);
        if (isEmpty(after)) {
            state.removeCustomer(id);
        } else {
            state.putCustomer(id, after);
        }
        if (orphanDelta != 0) {
            stats.setOrphanCustomers(stats.getOrphanCustomers() + orphanDelta);
            state.putStats(stats);
            metrics.orphanCustomers(task, stats.getOrphanCustomers());
        }
    }

    /** At least once: writes the customer again as last written (same version), after a replayed change. */
    private void rewrite(final int id) {
        if (!rewriteOnReplay) {
            return;
        }
        final CustomerState current = state.customer(id);
        if (current == null || current.getVersion() == 0) {
            return;
        }
        final long sourceTs = Math.max(current.getCustomerTsMs(), current.getChildrenTsMs());
        if (current.getLive() && current.getCustomer() != null) {
            final UnifiedCustomer unified = build(id, current, sourceTs);
            unified.setVersion(current.getVersion());
            context.forward(new Record<>(new CustomerKey(id), unified, sourceTs));
            metrics.recordOut(false, lag(sourceTs));
        } else if (!current.getLive()) {
            forwardDelete(id, current.getVersion(), sourceTs);
        }
    }

    private void forwardDelete(final int id, final long version, final long sourceTs) {
        final CustomerKey key = new CustomerKey(id);
        final UnifiedCustomer marker = UnifiedCustomer.newBuilder()
                .setCustomerId(id)
                .setDeleted(true)
                .setVersion(version)
                .setSourceTsMs(Instant.ofEpochMilli(sourceTs))
                .setFlightCount(0).setVehicleCount(0)
                .setFlights(List.of()).setVehicles(List.of())
                .build();
        context.forward(new Record<>(key, marker, sourceTs));
        context.forward(new Record<>(key, (UnifiedCustomer) null, sourceTs));
        metrics.recordOut(true, lag(sourceTs));
    }

    private UnifiedCustomer build(final int id, final CustomerState customer, final long sourceTs) {
        final List<UnifiedFlight> flights = state.family(id, ChildTable.FLIGHTS, Math.min(customer.getFlightCount(), maxChildren));
        flights.sort(Comparator.comparingInt(UnifiedFlight::getFlightId));
        final List<UnifiedVehicle> vehicles = state.family(id, ChildTable.VEHICLES, Math.min(customer.getVehicleCount(), maxChildren));
        vehicles.sort(Comparator.comparingInt(UnifiedVehicle::getVehicleId));
        return CustomerJoiner.unified(customer.getCustomer(), Instant.ofEpochMilli(sourceTs),
                flights, customer.getFlightCount(), vehicles, customer.getVehicleCount());
    }

    /** Removed children kept past the retention: dropped, oldest first, a batch per minute. */
    private void purge(final long now) {
        final long upTo = now - removedRetentionMs;
        final List<Bytes> done = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = state.purgeQueue(upTo)) {
            while (it.hasNext() && done.size() < PURGE_BATCH) {
                final Bytes key = it.next().key;
                done.add(key);
                final StateKeys.Purge p = StateKeys.Purge.of(key);
                final ChildState child = state.child(p.table(), p.child());
                if (child != null && child.getCustomerId() == null && child.getRemovedAtMs() == p.removedAtMs()) {
                    state.removeChild(p.table(), p.child());
                }
            }
        }
        done.forEach(state::removeQueued);
        if (!done.isEmpty()) {
            metrics.removedPurged(done.size());
            LOG.debug("{}: purged {} removed children older than {} ms", task, done.size(), removedRetentionMs);
        }
    }

    private static boolean orphan(final CustomerState s) {
        return s != null && s.getCustomer() == null && s.getFlightCount() + s.getVehicleCount() > 0;
    }

    /** Nothing worth keeping: no row, no children, nothing ever written, no position to guard. */
    private static boolean isEmpty(final CustomerState s) {
        return s.getCustomer() == null && s.getFlightCount() == 0 && s.getVehicleCount() == 0 && s.getVersion() == 0
                && s.getPosition() == null;
    }

    private long lag(final long sourceTs) {
        return Math.max(0, context.currentSystemTimeMs() - sourceTs);
    }

    /** 64-bit FNV-1a of the record's content, version and source time left out. */
    private long contentHash(final UnifiedCustomer value) {
        final UnifiedCustomer content = UnifiedCustomer.newBuilder(value).setVersion(0)
                .setSourceTsMs(Instant.EPOCH).build();
        long hash = 0xcbf29ce484222325L;
        for (final byte b : contentSerde.serialize(null, content)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        final ByteBuffer copy = buffer.duplicate();
        final byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
