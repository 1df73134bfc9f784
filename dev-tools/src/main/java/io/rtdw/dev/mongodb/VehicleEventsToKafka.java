package io.rtdw.dev.mongodb;

import io.rtdw.cdc.engine.ChangeProducer;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;

import java.util.Optional;
import java.util.concurrent.ExecutionException;
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
            producer.send(change.get()).get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing a vehicle change", e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("vehicle change not acknowledged: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
