package io.rtdw.dev.workload;

import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the vehicle topic says about the collection. */
final class VehicleTopic {

    private VehicleTopic() {
    }

    /**
     * Folds the records per vehicle with the app's rule ({@link SourcePosition#against}): vehicle id -> its customer
     * id, deleted vehicles absent. Not "the last record read": a vehicle that moved customer has its move in both
     * customers' partitions, and a reader sees the partitions interleaved in no particular order.
     */
    static Map<Integer, Integer> owners(final List<ConsumerRecord<VehicleKey, VehicleChange>> records) {
        final Map<Integer, Integer> state = new TreeMap<>();
        final Map<Integer, SourcePosition> applied = new HashMap<>();
        for (final ConsumerRecord<VehicleKey, VehicleChange> r : records) {
            final int id = r.key().getId();
            final SourcePosition position = SourcePosition.of(r.value().getSource());
            final SourcePosition.Verdict verdict = position.against(applied.get(id));
            if (verdict == SourcePosition.Verdict.NOT_NEWER) {
                continue;
            }
            applied.put(id, position);
            if (r.value().getOp() == Op.DELETE) {
                state.remove(id);
            } else {
                state.put(id, r.value().getAfter().getCustomerId());
            }
        }
        return state;
    }
}
