package io.rtdw.streams.topology;

import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;

import java.time.Instant;

/**
 * Source rows to warehouse items: a flight or vehicle change's after image as the item of the unified record's
 * array, with the commit time of its change.
 */
public final class Children {

    private Children() {
    }

    static UnifiedFlight flight(final FlightChange change) {
        final Flight f = change.getAfter();
        return UnifiedFlight.newBuilder()
                .setFlightId(f.getId())
                .setAirport(f.getAeroporto())
                .setAirline(f.getLinhaAerea())
                .setIataCode(f.getCodIata())
                .setUpdatedAt(f.getDtUpdate())
                .setSourceTsMs(Instant.ofEpochMilli(change.getSource().getCommitTsMs()))
                .build();
    }

    static UnifiedVehicle vehicle(final VehicleChange change) {
        final Vehicle v = change.getAfter();
        return UnifiedVehicle.newBuilder()
                .setVehicleId(v.getId())
                .setModelYear(v.getAnoModelo())
                .setModel(v.getModelo())
                .setMaker(v.getFabricante())
                .setVehicleYear(v.getAnoVeiculo())
                .setCategory(v.getCategoria())
                .setUpdatedAt(v.getDtUpdate())
                .setSourceTsMs(Instant.ofEpochMilli(change.getSource().getCommitTsMs()))
                .build();
    }
}
