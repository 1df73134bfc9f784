package io.rtdw.streams.topology;

import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.testing.Oracle;
import org.apache.kafka.streams.KeyValue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@link OutputLog} for tests outside this package. */
public final class OutputLogAccess {

    private final OutputLog log = new OutputLog();

    public void add(final CustomerKey key, final UnifiedCustomer value) {
        log.addAll(List.of(KeyValue.pair(key, value)));
    }

    public Map<Integer, UnifiedCustomer> normalizedFinalState() {
        final Map<Integer, UnifiedCustomer> out = new TreeMap<>();
        log.finalState().forEach((id, record) -> out.put(id, Oracle.normalize(record)));
        return out;
    }

    public void assertConsistent() {
        log.assertConsistent();
    }

    /** {@link OutputLog#assertConsistent(boolean)}: at least once, a record may be written again. */
    public void assertConsistentAllowingDuplicates() {
        log.assertConsistent(true);
    }
}
