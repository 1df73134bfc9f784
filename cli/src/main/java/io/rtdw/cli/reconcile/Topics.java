package io.rtdw.cli.reconcile;

import io.rtdw.catalog.Topic;
import io.rtdw.position.SourcePosition;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The two topics reconcile reads: the output, and (when there is no MongoDB) the vehicle CDC topic. */
final class Topics {

    private Topics() {
    }

    /** The output topic's latest live record per customer (delete markers and tombstones: absent). */
    static Copy output(final KafkaClients clients, final RegistrySerdes serdes,
                       final Topic<CustomerKey, UnifiedCustomer> topic, final Duration timeout) {
        final LatestPerKey.Result read = LatestPerKey.read(clients, topic.name(), timeout);
        final Deserializer<UnifiedCustomer> values = serdes.valueSerde(topic).deserializer();
        final Map<Integer, View> live = new HashMap<>();
        int deleted = 0;
        for (final byte[] bytes : read.values()) {
            final UnifiedCustomer u = values.deserialize(topic.name(), bytes);
            if (u.getDeleted()) {
                deleted++;
            } else {
                live.put(u.getCustomerId(), Avro.view(u));
            }
        }
        return new Copy("output", live, read.records() + " records of " + topic.name() + " read to end offsets "
                + read.endOffsets() + "; keys ending in a delete marker: " + deleted + ", in a tombstone: "
                + read.tombstones());
    }

    /**
     * The vehicle CDC topic's latest state per vehicle, as the vehicle source: the latest change per key in each
     * partition, then, for a vehicle in several partitions (it moved between customers of different partitions), the
     * change latest in the source's commit order ({@link SourcePosition}; across source epochs: the later commit
     * time). A DELETE, or a tombstone in every partition, means no vehicle.
     */
    static void vehicles(final KafkaClients clients, final RegistrySerdes serdes,
                         final Topic<VehicleKey, VehicleChange> topic, final Duration timeout,
                         final SourceState into) {
        final LatestPerKey.Result read = LatestPerKey.read(clients, topic.name(), timeout);
        final Deserializer<VehicleChange> values = serdes.valueSerde(topic).deserializer();
        final Deserializer<VehicleKey> keys = RegistrySerdes.keySerde(topic).deserializer();
        final Map<Integer, VehicleChange> latest = new HashMap<>();
        read.perPartition().values().forEach(partition -> partition.forEach((key, bytes) -> {
            if (bytes == LatestPerKey.TOMBSTONE) {
                return;
            }
            final VehicleChange change = values.deserialize(topic.name(), bytes);
            latest.merge(keys.deserialize(topic.name(), key.get()).getId(), change, Topics::later);
        }));
        latest.forEach((id, change) -> {
            if (change.getOp() != Op.DELETE && change.getAfter() != null) {
                into.vehicle(id, change.getAfter().getCustomerId(), Avro.vehicle(change.getAfter()));
            }
        });
        into.vehicleOrigin("topic " + topic.name() + " (latest change per vehicle: no MongoDB read)");
    }

    private static VehicleChange later(final VehicleChange a, final VehicleChange b) {
        final SourcePosition pa = SourcePosition.of(a.getSource());
        final SourcePosition pb = SourcePosition.of(b.getSource());
        if (pa.epoch().equals(pb.epoch())) {
            return pa.compareWithinEpoch(pb) >= 0 ? a : b;
        }
        return a.getSource().getCommitTsMs() >= b.getSource().getCommitTsMs() ? a : b;
    }
}
