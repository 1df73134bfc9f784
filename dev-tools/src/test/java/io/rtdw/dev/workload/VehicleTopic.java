package io.rtdw.dev.workload;

import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the vehicle topic says about the collection. */
final class VehicleTopic {

    private VehicleTopic() {
    }

    /** Replays the records in order: vehicle id -> its customer id, deleted vehicles absent. */
    static Map<Integer, Integer> owners(final List<ConsumerRecord<VehicleKey, VehicleChange>> records) {
        final Map<Integer, Integer> state = new TreeMap<>();
        for (final ConsumerRecord<VehicleKey, VehicleChange> r : records) {
            if (r.value().getOp() == Op.DELETE) {
                state.remove(r.key().getId());
            } else {
                state.put(r.key().getId(), r.value().getAfter().getCustomerId());
            }
        }
        return state;
    }
}
