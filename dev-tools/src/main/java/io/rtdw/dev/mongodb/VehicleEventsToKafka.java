package io.rtdw.dev.mongodb;

import io.rtdw.cdc.engine.ChangeProducer;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where there is no MongoDB (the local stack, tests): a callback that takes Debezium MongoDB events (for instance
 * from {@code io.rtdw.dev.workload.DebeziumEventApplier}), maps them with {@link DebeziumMongoEventMapper} and produces them to
 * the vehicle topic exactly as the capture process would (key, value serde, commit-time timestamp), waiting for the
 * acknowledgement of each.
 */
public final class VehicleEventsToKafka implements Consumer<DebeziumMongoEventMapper.Event> {

    private final DebeziumMongoEventMapper mapper;
    private final ChangeProducer producer;

    public VehicleEventsToKafka(final DebeziumMongoEventMapper mapper, final ChangeProducer producer) {
        this.mapper = mapper;
        this.producer = producer;
    }

    @Override
    public void accept(final DebeziumMongoEventMapper.Event event) {
        final Optional<MappedChange<VehicleKey, VehicleChange>> change = mapper.map(event);
        if (change.isEmpty()) {
            return;
        }
        try {
            // Its customer's partition, or both customers' for a move, or all without the old customer.
            producer.awaitAcks(producer.send(change.get()), "vehicle change not acknowledged: %s");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing a vehicle change", e);
        }
    }
}
