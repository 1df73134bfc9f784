package io.rtdw.streams.topology;

import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.testing.Oracle;
import org.apache.kafka.streams.KeyValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Everything written to the output topic, per key, with the checks every consumer relies on: versions 1, 2, 3 ...
 * without gaps or repeats, a delete marker always followed by a tombstone, and the final state per key.
 */
final class OutputLog {

    private final Map<Integer, List<UnifiedCustomer>> history = new TreeMap<>();

    void addAll(final List<KeyValue<CustomerKey, UnifiedCustomer>> records) {
        for (final KeyValue<CustomerKey, UnifiedCustomer> r : records) {
            assertNotNull(r.key, "output keys are never null");
            if (r.value != null) {
                assertEquals(r.key.getId(), r.value.getCustomerId(), "key and customer_id agree");
            }
            history.computeIfAbsent(r.key.getId(), k -> new ArrayList<>()).add(r.value);
        }
    }

    /** The last live record per customer; deleted customers are absent. */
    Map<Integer, UnifiedCustomer> finalState() {
        final Map<Integer, UnifiedCustomer> state = new LinkedHashMap<>();
        history.forEach((id, records) -> {
            final UnifiedCustomer last = records.get(records.size() - 1);
            if (last != null) {
                state.put(id, last);
            }
        });
        return state;
    }

    List<UnifiedCustomer> history(final int customerId) {
        return history.getOrDefault(customerId, List.of());
    }

    boolean everWritten(final int customerId) {
        return history.containsKey(customerId);
    }

    void assertConsistent() {
        assertConsistent(false);
    }

    /**
     * The output's invariants. With {@code duplicatesAllowed} (at least once) a record may come again: the same
     * version with the same content, right after itself or after a later one of the same customer (a replay
     * rewrites what it touched); versions still never go back below the newest one written before the replay,
     * except by such a repeat.
     */
    void assertConsistent(final boolean duplicatesAllowed) {
        history.forEach((id, records) -> {
            long expectedVersion = 1;
            final Map<Long, UnifiedCustomer> written = new TreeMap<>();
            for (int i = 0; i < records.size(); i++) {
                final UnifiedCustomer r = records.get(i);
                if (r == null) {
                    assertTrue(i > 0 && records.get(i - 1) != null && records.get(i - 1).getDeleted(),
                            "customer " + id + ": a tombstone follows a delete marker");
                    continue;
                }
                if (duplicatesAllowed && written.containsKey(r.getVersion())) {
                    assertEquals(Oracle.normalize(written.get(r.getVersion())), Oracle.normalize(r),
                            "customer " + id + ": a repeated version repeats its record");
                } else {
                    assertEquals(expectedVersion++, r.getVersion(), "customer " + id + ": versions grow by one");
                    written.put(r.getVersion(), r);
                }
                if (r.getDeleted()) {
                    if (i + 1 >= records.size() || records.get(i + 1) != null) {
                        fail("customer " + id + ": a delete marker is followed by a tombstone");
                    }
                    assertTrue(r.getFlights().isEmpty() && r.getVehicles().isEmpty() && r.getName() == null,
                            "a delete marker carries no customer data");
                } else {
                    assertEquals(r.getFlightCount() >= r.getFlights().size(), true, "count covers the array");
                    assertEquals(r.getVehicleCount() >= r.getVehicles().size(), true, "count covers the array");
                }
            }
        });
    }
}
