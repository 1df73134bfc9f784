package io.rtdw.streams.topology;

import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;

/**
 * What the topology needs to know about one source table's change records: the key's id, the kind of change,
 * where it was committed, and the contract a change must meet to be applied.
 *
 * @param <K> key type
 * @param <V> change record type
 */
public interface SourceTable<K, V> {

    /** Table name used in names of processors, stores and metrics: customers, flight, vehicle. */
    String name();

    /** The change record class this table's topic carries; any other decoded type is a dead letter. */
    Class<V> type();

    int keyId(K key);

    Op op(V change);

    SourceInfo source(V change);

    /** Id of the after image, or null when there is none. */
    Integer afterId(V change);

    /** Why the change breaks the contract, or null when it is fine. */
    default String violation(final K key, final V change) {
        if (key == null) {
            return "contract: record has no key";
        }
        // Every int is an id, 0 and negative ones included: the source has no such check
        // (cdc-sources/src/main/resources/sql/001_schema.sql).
        final int id = keyId(key);
        if (op(change) == null || source(change) == null) {
            return "contract: op and source are required";
        }
        final Integer after = afterId(change);
        if (op(change) == Op.DELETE) {
            return null;
        }
        if (after == null) {
            return "contract: " + op(change) + " of " + name() + " " + id + " has no after image";
        }
        if (after != id) {
            return "contract: key id " + id + " differs from row id " + after;
        }
        return null;
    }

    SourceTable<CustomerKey, CustomerChange> CUSTOMERS = new SourceTable<>() {
        public String name() { return "customers"; }
        public Class<CustomerChange> type() { return CustomerChange.class; }
        public int keyId(final CustomerKey key) { return key.getId(); }
        public Op op(final CustomerChange change) { return change.getOp(); }
        public SourceInfo source(final CustomerChange change) { return change.getSource(); }
        public Integer afterId(final CustomerChange change) {
            return change.getAfter() == null ? null : change.getAfter().getId();
        }
    };

    SourceTable<FlightKey, FlightChange> FLIGHTS = new SourceTable<>() {
        public String name() { return "flight"; }
        public Class<FlightChange> type() { return FlightChange.class; }
        public int keyId(final FlightKey key) { return key.getId(); }
        public Op op(final FlightChange change) { return change.getOp(); }
        public SourceInfo source(final FlightChange change) { return change.getSource(); }
        public Integer afterId(final FlightChange change) {
            return change.getAfter() == null ? null : change.getAfter().getId();
        }
    };

    SourceTable<VehicleKey, VehicleChange> VEHICLES = new SourceTable<>() {
        public String name() { return "vehicle"; }
        public Class<VehicleChange> type() { return VehicleChange.class; }
        public int keyId(final VehicleKey key) { return key.getId(); }
        public Op op(final VehicleChange change) { return change.getOp(); }
        public SourceInfo source(final VehicleChange change) { return change.getSource(); }
        public Integer afterId(final VehicleChange change) {
            return change.getAfter() == null ? null : change.getAfter().getId();
        }
    };
}
