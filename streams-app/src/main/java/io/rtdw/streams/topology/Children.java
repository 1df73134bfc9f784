package io.rtdw.streams.topology;

import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * The per-customer child lists: mapping source rows to warehouse items, adding and removing by id (so applying
 * the same change twice is harmless), and the size cap of the output.
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

    /** A new list, ordered by id, with {@code item} in place of any element with the same id. */
    static <T> List<T> upsert(final List<T> items, final T item, final ToIntFunction<T> id) {
        final List<T> out = new ArrayList<>(items.size() + 1);
        final int itemId = id.applyAsInt(item);
        boolean placed = false;
        for (final T existing : items) {
            final int existingId = id.applyAsInt(existing);
            if (!placed && itemId <= existingId) {
                out.add(item);
                placed = true;
                if (itemId == existingId) {
                    continue;
                }
            }
            out.add(existing);
        }
        if (!placed) {
            out.add(item);
        }
        return out;
    }

    /** A new list without the element of id {@code removedId}. */
    static <T> List<T> remove(final List<T> items, final int removedId, final ToIntFunction<T> id) {
        final List<T> out = new ArrayList<>(items.size());
        for (final T existing : items) {
            if (id.applyAsInt(existing) != removedId) {
                out.add(existing);
            }
        }
        return out;
    }

    /**
     * At most {@code max} items: the most recently changed ones (newest source commit; on a tie the higher id),
     * returned ordered by id. Counts are reported separately, so nothing is hidden.
     */
    public static <T> List<T> cap(final List<T> items, final int max, final ToIntFunction<T> id,
                                  final ToLongFunction<T> sourceTs) {
        if (items.size() <= max) {
            return items;
        }
        final List<T> newest = new ArrayList<>(items);
        newest.sort(Comparator.comparingLong(sourceTs).thenComparingInt(id).reversed());
        final List<T> kept = new ArrayList<>(newest.subList(0, max));
        kept.sort(Comparator.comparingInt(id));
        return kept;
    }

    static int flightId(final UnifiedFlight f) {
        return f.getFlightId();
    }

    static int vehicleId(final UnifiedVehicle v) {
        return v.getVehicleId();
    }

    static long flightTs(final UnifiedFlight f) {
        return f.getSourceTsMs().toEpochMilli();
    }

    static long vehicleTs(final UnifiedVehicle v) {
        return v.getSourceTsMs().toEpochMilli();
    }
}
