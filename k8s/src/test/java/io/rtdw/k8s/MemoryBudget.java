package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.rtdw.streams.config.StreamsSettings;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory a container of one of our JVM services can take, computed from its environment: the one formula the
 * pod limits are derived from (k8s/README.md, "Memory"). Every term is a bound the JVM or the app enforces, read from
 * {@code JAVA_TOOL_OPTIONS} and (streams app) {@code RTDW_ROCKSDB_MEMORY_MB}; the only estimate is the overhead:
 *
 * <pre>
 *   heap (-Xmx) + metaspace (-XX:MaxMetaspaceSize) + direct buffers (-XX:MaxDirectMemorySize)
 *   + code cache (-XX:ReservedCodeCacheSize) + RocksDB (RTDW_ROCKSDB_MEMORY_MB, streams app only)
 *   + 96 MiB + heap / 16
 * </pre>
 *
 * The 96 MiB cover thread stacks, symbol and string tables, class data, malloc arenas (two, MALLOC_ARENA_MAX) and
 * RocksDB's allocations outside its block cache; heap / 16 covers the garbage collector's own structures (G1's
 * marking bitmap alone is 1/64 of the heap, its remembered sets and card table come on top).
 */
record MemoryBudget(long heap, long metaspace, long direct, long codeCache, long rocksDb) {

    static final long MIB = 1024L * 1024;
    /** Thread stacks, native tables, malloc arenas, RocksDB outside its cache. */
    static final long FIXED_OVERHEAD = 96 * MIB;
    /** A limit more than this far above the budget is memory no bounded pool may use. */
    static final double MAX_SLACK = 1.25;

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kKmMgG]?)");

    long total() {
        return heap + metaspace + direct + codeCache + rocksDb + FIXED_OVERHEAD + heap / 16;
    }

    String explain() {
        return String.format("heap %d + metaspace %d + direct %d + code cache %d + RocksDB %d + %d + heap/16 %d = %d MiB",
                heap / MIB, metaspace / MIB, direct / MIB, codeCache / MIB, rocksDb / MIB, FIXED_OVERHEAD / MIB,
                heap / 16 / MIB, total() / MIB);
    }

    /**
     * The budget of a container, or a failure naming the bound it leaves open (an unbounded pool has no budget).
     *
     * @param withRocksDb whether the process runs the streams app's RocksDB stores (BoundedRocksDb): the budget
     *                    is RTDW_ROCKSDB_MEMORY_MB, or that setting's default when the manifest does not set it
     */
    static MemoryBudget of(final Container container, final boolean withRocksDb) {
        final String options = Resources.envValue(container, "JAVA_TOOL_OPTIONS");
        final long rocks = withRocksDb ? Long.parseLong(Resources.env(container, StreamsSettings.ROCKSDB_MEMORY_MB.name())
                .map(e -> e.getValue()).orElse(StreamsSettings.ROCKSDB_MEMORY_MB.defaultValue())) * MIB : 0;
        return new MemoryBudget(
                required(options, "-Xmx", container),
                required(options, "-XX:MaxMetaspaceSize=", container),
                required(options, "-XX:MaxDirectMemorySize=", container),
                required(options, "-XX:ReservedCodeCacheSize=", container),
                rocks);
    }

    private static long required(final String options, final String flag, final Container container) {
        return flag(options, flag).orElseThrow(() -> new AssertionError("container " + container.getName()
                + ": JAVA_TOOL_OPTIONS must bound " + flag + " (an unbounded pool has no memory budget): " + options));
    }

    /** The last occurrence of a size flag (the JVM takes the last one), in bytes. */
    static Optional<Long> flag(final String options, final String flag) {
        Long found = null;
        for (final String token : options.trim().split("\\s+")) {
            if (token.startsWith(flag)) {
                found = bytes(token.substring(flag.length()));
            }
        }
        return Optional.ofNullable(found);
    }

    /** A JVM size ({@code 512m}, {@code 2g}, {@code 1048576}) in bytes. */
    static long bytes(final String size) {
        final Matcher m = SIZE.matcher(size);
        if (!m.matches()) {
            throw new AssertionError("not a JVM size: " + size);
        }
        final long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase()) {
            case "k" -> n * 1024;
            case "m" -> n * MIB;
            case "g" -> n * 1024 * MIB;
            default -> n;
        };
    }
}
