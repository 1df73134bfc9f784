package io.rtdw.dev.workload;

import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.dev.mongodb.DebeziumMongoEventWriter;
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.VehicleDoc;
import io.rtdw.testing.WorkloadGenerator;
import org.bson.Document;

import java.util.Date;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The "no MongoDB here" stand-in: turns vehicle changes into the events Debezium's MongoDB connector would emit for
 * them and hands them to a callback (the local stack maps them with {@link DebeziumMongoEventMapper} and produces
 * them to the vehicle topic). Cluster time comes from the given clock, with increments that keep it strictly
 * growing, as a real oplog's does.
 */
public final class DebeziumEventApplier implements WorkloadGenerator.Applier {

    private final DebeziumMongoEventWriter writer;
    private final Consumer<DebeziumMongoEventMapper.Event> callback;
    private final boolean preImages;
    private final LongSupplier clockMs;
    private long lastSecond;
    private int increment;

    /**
     * @param preImages true: events carry {@code before} (a collection with pre-images enabled)
     * @param clockMs   wall clock of the simulated server, epoch ms
     */
    public DebeziumEventApplier(final DebeziumMongoEventWriter writer, final boolean preImages,
                                final LongSupplier clockMs, final Consumer<DebeziumMongoEventMapper.Event> callback) {
        this.writer = writer;
        this.preImages = preImages;
        this.clockMs = clockMs;
        this.callback = callback;
    }

    @Override
    public void apply(final Change change) {
        final DebeziumMongoEventWriter.Kind kind = switch (change.kind()) {
            case VEHICLE_INSERT -> DebeziumMongoEventWriter.Kind.INSERT;
            case VEHICLE_UPDATE -> DebeziumMongoEventWriter.Kind.UPDATE;
            case VEHICLE_REPLACE -> DebeziumMongoEventWriter.Kind.REPLACE;
            case VEHICLE_DELETE -> DebeziumMongoEventWriter.Kind.DELETE;
            default -> null;
        };
        if (kind == null) {
            return;
        }
        final long now = clockMs.getAsLong();
        final long second = Math.max(now / 1000, lastSecond);
        increment = second == lastSecond ? increment + 1 : 1;
        lastSecond = second;
        final VehicleDoc after = change.vehicle();
        final VehicleDoc before = change.vehicleBefore();
        final Document updated = kind == DebeziumMongoEventWriter.Kind.UPDATE
                ? new Document("customer_id", after.customerId()).append("modelo", after.modelo())
                        .append("dt_update", Date.from(after.dtUpdate()))
                : null;
        final int id = after != null ? after.id() : before.id();
        callback.accept(writer.event(kind, id, preImages && before != null ? MongoApplier.document(before) : null,
                after == null ? null : MongoApplier.document(after), updated, second, increment, now));
    }
}
