package io.rtdw.lake;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Removes the rows of one customer from a lake file (changelog or snapshot), for erasure (README, "Personal data").
 *
 * <p>The file is read and written with parquet-avro, as the sink writes it: the file's own Avro schema (from its
 * footer, so a file of an older release keeps its columns), its compression codec, the 3-level list layout and its
 * footer key-value metadata ({@code rtdw.snapshot.offsets} for instance). Values are copied as Avro primitives
 * (no logical-type conversion), so timestamps and dates stay bit for bit. The result replaces the file under the
 * <b>same name</b>: the sink resumes from the names (per partition the highest last offset), never from the rows.
 *
 * <p>Reading needs Hadoop's classes at run time ({@code hadoop-client-api}, which this module has only to compile):
 * parquet-hadoop 1.18.1's {@code ParquetReadOptions} builder creates Hadoop's codec factory before any other can be
 * set. The sink never reads, so it stays Hadoop-free; the erase command (dev-tools) carries the jar.
 */
public final class LakeFileFilter {

    /** Column that names the customer of a row. */
    static final String CUSTOMER_COLUMN = "customer_id";
    /** Footer keys the Avro writer sets itself (the writer refuses to be given them). */
    private static final Set<String> WRITER_KEYS = Set.of("parquet.avro.schema", "writer.model.name");

    private LakeFileFilter() {
    }

    /**
     * Whether {@code file} may hold a row of {@code customerId}, from its footer's column statistics alone (no row is
     * read): false only when every row group's min/max of {@code customer_id} excludes it.
     */
    public static boolean mayHold(final Path file, final int customerId) {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), readOptions())) {
            for (final BlockMetaData block : reader.getFooter().getBlocks()) {
                for (final ColumnChunkMetaData column : block.getColumns()) {
                    if (!column.getPath().toDotString().equals(CUSTOMER_COLUMN)) {
                        continue;
                    }
                    final Statistics<?> stats = column.getStatistics();
                    if (stats == null || !stats.hasNonNullValue()
                            || ((Integer) stats.genericGetMin() <= customerId && customerId <= (Integer) stats.genericGetMax())) {
                        return true;
                    }
                }
            }
            return false;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the footer of " + file, e);
        }
    }

    /**
     * Rewrites {@code file} without the rows of {@code customerId}, in place (a sibling temporary file, then an atomic
     * rename). Nothing is written when the file holds no such row.
     *
     * @return rows removed (0: the file is untouched)
     */
    public static long removeCustomer(final Path file, final int customerId) {
        final Path tmp = file.resolveSibling("." + file.getFileName() + ".erase.tmp");
        try {
            final long removed = copyWithout(file, customerId, tmp);
            if (removed > 0) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return removed;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (final IOException e) {
                // best effort: the temporary name is not a changelog name, the sink ignores it
            }
        }
    }

    /**
     * Copies {@code source} to {@code target} without the rows of {@code customerId}; writes {@code target} only when
     * at least one row is removed.
     *
     * @return rows removed
     */
    public static long copyWithout(final Path source, final int customerId, final Path target) throws IOException {
        final ParquetMetadata footer;
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(source), readOptions())) {
            footer = reader.getFooter();
        }
        final Map<String, String> keyValues = footer.getFileMetaData().getKeyValueMetaData();
        final String avroSchema = keyValues.get("parquet.avro.schema");
        if (avroSchema == null) {
            throw new IOException(source + " was not written by parquet-avro (no parquet.avro.schema in its footer)");
        }
        final Schema schema = new Schema.Parser().parse(avroSchema);
        if (schema.getField(CUSTOMER_COLUMN) == null) {
            throw new IOException(source + " has no column " + CUSTOMER_COLUMN);
        }
        if (!hasRow(source, customerId)) {
            return 0;
        }
        final CompressionCodecName codec = footer.getBlocks().isEmpty() || footer.getBlocks().get(0).getColumns().isEmpty()
                ? CompressionCodecName.UNCOMPRESSED : footer.getBlocks().get(0).getColumns().get(0).getCodec();
        final Map<String, String> extra = new HashMap<>(keyValues);
        WRITER_KEYS.forEach(extra::remove);
        long removed = 0;
        try (ParquetReader<GenericRecord> reader = reader(source);
             ParquetWriter<GenericRecord> writer = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(target))
                     .withSchema(schema)
                     .withConf(LakeRows.writerConfiguration())
                     .withDataModel(GenericData.get())
                     .withCodecFactory(new NoHadoopCodecs())
                     .withCompressionCodec(codec)
                     .withExtraMetaData(extra)
                     .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                     .build()) {
            for (GenericRecord row = reader.read(); row != null; row = reader.read()) {
                if (isCustomer(row, customerId)) {
                    removed++;
                } else {
                    writer.write(row);
                }
            }
        }
        return removed;
    }

    /** Rows of {@code customerId} in {@code file}. */
    public static long count(final Path file, final int customerId) throws IOException {
        long n = 0;
        try (ParquetReader<GenericRecord> reader = reader(file)) {
            for (GenericRecord row = reader.read(); row != null; row = reader.read()) {
                n += isCustomer(row, customerId) ? 1 : 0;
            }
        }
        return n;
    }

    private static boolean hasRow(final Path file, final int customerId) throws IOException {
        try (ParquetReader<GenericRecord> reader = reader(file)) {
            for (GenericRecord row = reader.read(); row != null; row = reader.read()) {
                if (isCustomer(row, customerId)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isCustomer(final GenericRecord row, final int customerId) {
        final Object id = row.get(CUSTOMER_COLUMN);
        return id instanceof Integer i && i == customerId;
    }

    private static ParquetReader<GenericRecord> reader(final Path file) throws IOException {
        final PlainParquetConfiguration conf = new PlainParquetConfiguration();
        // Read with the writer's Avro schema, as plain Avro values (no java.time conversions).
        return AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file), conf)
                .withDataModel(GenericData.get())
                .withCodecFactory(new NoHadoopCodecs())
                .build();
    }

    private static ParquetReadOptions readOptions() {
        return ParquetReadOptions.builder(new PlainParquetConfiguration()).withCodecFactory(new NoHadoopCodecs()).build();
    }
}
