package io.rtdw.lake;

import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One immutable changelog object in the bucket. Its name is a pure function of what it holds: the change date
 * of its rows, the Kafka partition they were read from and the offsets of its first and last row, e.g.
 * {@code changelog/dt=2026-11-21/p=3/00000000000000000120-00000000000000000245.parquet}.
 *
 * <p>Offsets are zero-padded to 20 digits so that a lexical listing is also an offset-ordered listing. The range
 * is inclusive and may contain offsets that are not rows (transaction markers, aborted records, tombstones):
 * under exactly-once the committed records of a partition are not contiguous.
 *
 * @param dt          change date (UTC date of {@code source_ts_ms}) of every row in the file
 * @param partition   Kafka partition of the output topic
 * @param firstOffset offset of the first row
 * @param lastOffset  offset of the last row
 */
public record ChangelogFile(LocalDate dt, int partition, long firstOffset, long lastOffset) {

    /** Key prefix of every changelog object. */
    public static final String PREFIX = "changelog/";

    private static final Pattern NAME = Pattern.compile(
            "changelog/dt=(\\d{4}-\\d{2}-\\d{2})/p=(\\d+)/(\\d{20})-(\\d{20})\\.parquet");

    public ChangelogFile {
        Objects.requireNonNull(dt, "dt");
        if (partition < 0 || firstOffset < 0 || lastOffset < firstOffset) {
            throw new IllegalArgumentException("bad changelog file p=" + partition + " " + firstOffset + "-" + lastOffset);
        }
    }

    /** The object key. */
    public String objectName() {
        return String.format("%sdt=%s/p=%d/%020d-%020d.parquet", PREFIX, dt, partition, firstOffset, lastOffset);
    }

    /** Parses an object key; empty for keys that are not changelog files (temporary or foreign objects). */
    public static Optional<ChangelogFile> parse(final String objectName) {
        final Matcher m = NAME.matcher(objectName);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new ChangelogFile(LocalDate.parse(m.group(1)), Integer.parseInt(m.group(2)),
                Long.parseLong(m.group(3)), Long.parseLong(m.group(4))));
    }

    /** True when the two files share at least one offset of the same partition. */
    public boolean overlaps(final ChangelogFile other) {
        return partition == other.partition && firstOffset <= other.lastOffset && other.firstOffset <= lastOffset;
    }
}
