package io.rtdw.catalog;

import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.avro.specific.SpecificRecord;

/**
 * One change of a source table as it appears on its CDC topic: key and value (null value = tombstone), with the
 * source commit time as record timestamp.
 */
public record SourceChange(Table table, SpecificRecord key, SpecificRecord value, long timestampMs) {

    /** The three source tables. */
    public enum Table {
        CUSTOMERS, FLIGHT, VEHICLE;

        /** This table's CDC topic in {@code catalog}. */
        public Topic<?, ?> topic(final TopicCatalog catalog) {
            return switch (this) {
                case CUSTOMERS -> catalog.customers();
                case FLIGHT -> catalog.flights();
                case VEHICLE -> catalog.vehicles();
            };
        }
    }

    public static SourceChange of(final CustomerChange change) {
        final int id = change.getAfter() != null ? change.getAfter().getId() : change.getBefore().getId();
        return new SourceChange(Table.CUSTOMERS, new CustomerKey(id), change, change.getSource().getCommitTsMs());
    }

    public static SourceChange of(final FlightChange change) {
        final int id = change.getAfter() != null ? change.getAfter().getId() : change.getBefore().getId();
        return new SourceChange(Table.FLIGHT, new FlightKey(id), change, change.getSource().getCommitTsMs());
    }

    public static SourceChange of(final VehicleChange change) {
        final int id = change.getAfter() != null ? change.getAfter().getId() : change.getBefore().getId();
        return new SourceChange(Table.VEHICLE, new VehicleKey(id), change, change.getSource().getCommitTsMs());
    }

    /** The key's id. */
    public int id() {
        return (Integer) key.get(0);
    }
}
