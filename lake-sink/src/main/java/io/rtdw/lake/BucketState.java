package io.rtdw.lake;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the bucket already holds, per Kafka partition: the only source of truth for where the sink resumes.
 *
 * <p>Consumer-group offsets are committed too, but only for lag monitoring: they can lag behind the bucket (a
 * crash between the upload and the commit), so resuming from them would write a record twice.
 */
public final class BucketState {

    private final Map<Integer, Long> lastOffsets;
    private final int files;

    private BucketState(final Map<Integer, Long> lastOffsets, final int files) {
        this.lastOffsets = Map.copyOf(lastOffsets);
        this.files = files;
    }

    /**
     * Builds the state from a listing of object keys.
     *
     * @throws IllegalStateException when two files of a partition overlap: two writers have been running at once
     *                               (the sink must be a single writer per partition) and a human must look
     */
    public static BucketState of(final Iterable<String> objectNames) {
        final Map<Integer, List<ChangelogFile>> byPartition = new HashMap<>();
        int count = 0;
        for (final String name : objectNames) {
            final Optional<ChangelogFile> file = ChangelogFile.parse(name);
            if (file.isPresent()) {
                byPartition.computeIfAbsent(file.get().partition(), p -> new ArrayList<>()).add(file.get());
                count++;
            }
        }
        final Map<Integer, Long> last = new HashMap<>();
        for (final Map.Entry<Integer, List<ChangelogFile>> e : byPartition.entrySet()) {
            final List<ChangelogFile> sorted = new ArrayList<>(e.getValue());
            sorted.sort(Comparator.comparingLong(ChangelogFile::firstOffset));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i - 1).overlaps(sorted.get(i))) {
                    throw new IllegalStateException("overlapping changelog files " + sorted.get(i - 1).objectName()
                            + " and " + sorted.get(i).objectName() + ": more than one writer for partition "
                            + e.getKey() + "; remove the duplicate file before restarting");
                }
            }
            last.put(e.getKey(), sorted.get(sorted.size() - 1).lastOffset());
        }
        return new BucketState(last, count);
    }

    /** Offset of the last record of {@code partition} already in a file, or -1 when there is none. */
    public long lastOffset(final int partition) {
        return lastOffsets.getOrDefault(partition, -1L);
    }

    /** Number of changelog files seen. */
    public int files() {
        return files;
    }

    @Override
    public String toString() {
        return "BucketState{files=" + files + ", lastOffsets=" + lastOffsets + '}';
    }
}
