package io.rtdw.streams.topology;

import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.avro.specific.SpecificRecord;

import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * A child table of the join (flight, vehicle): its source table, its tag in the state keys, the customers its
 * after and before images name, and its item in the unified record.
 *
 * @param <K> key type
 * @param <V> change record type
 * @param <I> item type in the unified record
 */
record ChildTable<K, V, I extends SpecificRecord>(SourceTable<K, V> source, byte tag, Class<I> itemType,
                                                  Function<V, Integer> afterCustomer,
                                                  Function<V, Integer> beforeCustomer, Function<V, I> item,
                                                  ToIntFunction<I> itemId) {

    static final ChildTable<FlightKey, FlightChange, UnifiedFlight> FLIGHTS = new ChildTable<>(SourceTable.FLIGHTS,
            (byte) 'f', UnifiedFlight.class, c -> c.getAfter() == null ? null : c.getAfter().getCustomerId(),
            c -> c.getBefore() == null ? null : c.getBefore().getCustomerId(),
            Children::flight, UnifiedFlight::getFlightId);

    static final ChildTable<VehicleKey, VehicleChange, UnifiedVehicle> VEHICLES = new ChildTable<>(SourceTable.VEHICLES,
            (byte) 'v', UnifiedVehicle.class, c -> c.getAfter() == null ? null : c.getAfter().getCustomerId(),
            c -> c.getBefore() == null ? null : c.getBefore().getCustomerId(),
            Children::vehicle, UnifiedVehicle::getVehicleId);
}
