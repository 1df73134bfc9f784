package io.rtdw.streams.topology;

import io.rtdw.schemas.Customer;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;

import java.time.Instant;
import java.util.List;

/**
 * The unified record of a live customer: its row mapped to the warehouse names, its (capped) arrays and exact
 * counts. The version is set by the caller.
 */
public final class CustomerJoiner {

    private CustomerJoiner() {
    }

    /** Customer LEFT JOIN its flights LEFT JOIN its vehicles, arrays as given (already capped and ordered). */
    public static UnifiedCustomer unified(final Customer c, final Instant sourceTs,
                                          final List<UnifiedFlight> flights, final int flightCount,
                                          final List<UnifiedVehicle> vehicles, final int vehicleCount) {
        return UnifiedCustomer.newBuilder()
                .setCustomerId(c.getId())
                .setDeleted(false)
                .setVersion(0)
                .setSourceTsMs(sourceTs)
                .setName(c.getNome())
                .setGender(c.getSexo())
                .setAddress(c.getEndereco())
                .setPhone(c.getTelefone())
                .setEmail(c.getEmail())
                .setPhotoUrl(c.getFoto())
                .setBirthDate(c.getNascimento())
                .setProfession(c.getProfissao())
                .setUpdatedAt(c.getDtUpdate())
                .setFlightCount(flightCount)
                .setFlights(flights)
                .setVehicleCount(vehicleCount)
                .setVehicles(vehicles)
                .build();
    }
}
