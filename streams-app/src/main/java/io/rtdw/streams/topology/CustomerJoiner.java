package io.rtdw.streams.topology;

import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;

import java.time.Instant;
import java.util.List;

/**
 * The two LEFT joins from the customer: first its flights, then its vehicles. Builds new records and never
 * changes its inputs (they may be cached store values). Version and final source time are set later by
 * {@link VersionStamper}.
 */
public final class CustomerJoiner {

    private final int maxChildren;

    public CustomerJoiner(final int maxChildren) {
        this.maxChildren = maxChildren;
    }

    /** Customer LEFT JOIN its flights (null when it has none). */
    public UnifiedCustomer withFlights(final CustomerChange customer, final List<UnifiedFlight> flights) {
        final Customer c = customer.getAfter();
        final List<UnifiedFlight> all = flights == null ? List.of() : flights;
        return UnifiedCustomer.newBuilder()
                .setCustomerId(c.getId())
                .setDeleted(false)
                .setVersion(0)
                .setSourceTsMs(Instant.ofEpochMilli(customer.getSource().getCommitTsMs()))
                .setName(c.getNome())
                .setGender(c.getSexo())
                .setAddress(c.getEndereco())
                .setPhone(c.getTelefone())
                .setEmail(c.getEmail())
                .setPhotoUrl(c.getFoto())
                .setBirthDate(c.getNascimento())
                .setProfession(c.getProfissao())
                .setUpdatedAt(c.getDtUpdate())
                .setFlightCount(all.size())
                .setFlights(Children.cap(all, maxChildren, Children::flightId, Children::flightTs))
                .setVehicleCount(0)
                .setVehicles(List.of())
                .build();
    }

    /** (Customer with flights) LEFT JOIN its vehicles (null when it has none). */
    public UnifiedCustomer withVehicles(final UnifiedCustomer customer, final List<UnifiedVehicle> vehicles) {
        final List<UnifiedVehicle> all = vehicles == null ? List.of() : vehicles;
        return UnifiedCustomer.newBuilder(customer)
                .setVehicleCount(all.size())
                .setVehicles(Children.cap(all, maxChildren, Children::vehicleId, Children::vehicleTs))
                .build();
    }
}
