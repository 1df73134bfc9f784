package io.rtdw.lake;

import io.rtdw.mask.FieldMasks;
import io.rtdw.schemas.UnifiedCustomer;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The row layout of the lake (changelog and snapshot files share it) and the Parquet encoding of rows.
 *
 * <p>A row is the {@link UnifiedCustomer} record as written to the output topic (nested {@code flights} and
 * {@code vehicles} lists of structs, {@code deleted}, {@code version}, {@code source_ts_ms}) preceded by its
 * lineage: {@code kafka_partition}, {@code kafka_offset}, {@code kafka_timestamp}. (partition, offset) is unique
 * over all changelog files, which is how exactly-once is checked.
 *
 * <p>Personal fields named by {@code RTDW_MASK_FIELDS} are masked in the row ({@link FieldMasks}); the record on the
 * topic is not.
 */
public final class LakeRows {

    /** Avro schema of a lake row; Parquet's schema is derived from it. */
    public static final Schema SCHEMA = buildSchema();

    /** Generic model that turns the generated classes' java.time values back into Avro's primitives. */
    private static final GenericData MODEL = buildModel();

    private LakeRows() {
    }

    private static Schema buildSchema() {
        final List<Schema.Field> fields = new ArrayList<>();
        fields.add(new Schema.Field("kafka_partition", Schema.create(Schema.Type.INT),
                "Partition of the output topic the row was read from.", null));
        fields.add(new Schema.Field("kafka_offset", Schema.create(Schema.Type.LONG),
                "Offset of the record in that partition; (kafka_partition, kafka_offset) is unique in the changelog.", null));
        fields.add(new Schema.Field("kafka_timestamp",
                LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)),
                "Kafka record timestamp (when the streams app wrote it).", null));
        for (final Schema.Field f : UnifiedCustomer.getClassSchema().getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        return Schema.createRecord("UnifiedCustomerRow", "A unified customer record with its Kafka lineage.",
                "io.rtdw.lake", false, fields);
    }

    private static GenericData buildModel() {
        final GenericData model = new GenericData();
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        model.addLogicalTypeConversion(new TimeConversions.DateConversion());
        model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
        return model;
    }

    /** One row for a record read from the topic, unmasked. */
    public static GenericRecord row(final UnifiedCustomer value, final int partition, final long offset,
                                    final long kafkaTimestampMs) {
        return row(value, partition, offset, kafkaTimestampMs, FieldMasks.NONE);
    }

    /** One row for a record read from the topic, its personal fields masked by {@code masks}. */
    public static GenericRecord row(final UnifiedCustomer value, final int partition, final long offset,
                                    final long kafkaTimestampMs, final FieldMasks masks) {
        final GenericData.Record row = new GenericData.Record(SCHEMA);
        row.put("kafka_partition", partition);
        row.put("kafka_offset", offset);
        row.put("kafka_timestamp", Instant.ofEpochMilli(kafkaTimestampMs));
        for (final Schema.Field f : UnifiedCustomer.getClassSchema().getFields()) {
            row.put(f.name(), masks.apply(f.name(), value.get(f.pos())));
        }
        return row;
    }

    /** A deep copy of the value, safe to keep while the consumer reuses nothing (records are immutable here). */
    public static UnifiedCustomer copy(final UnifiedCustomer value) {
        return SpecificData.get().deepCopy(UnifiedCustomer.getClassSchema(), value);
    }

    /** Encodes rows as one Parquet file in memory; {@code metadata} goes to the footer's key-value metadata. */
    public static byte[] parquet(final List<GenericRecord> rows, final CompressionCodecName codec,
                                 final Map<String, String> metadata) {
        final InMemoryOutputFile file = new InMemoryOutputFile();
        write(rows, codec, metadata, file);
        return file.toByteArray();
    }

    /** Encodes rows as one Parquet file on local disk (the snapshot: too big to assemble in the heap). */
    public static void parquet(final Iterable<GenericRecord> rows, final CompressionCodecName codec,
                               final Map<String, String> metadata, final java.nio.file.Path target) {
        write(rows, codec, metadata, new LocalOutputFile(target));
    }

    /** The writer's configuration, shared with {@link LakeFileFilter} so a rewritten file has the same layout. */
    static PlainParquetConfiguration writerConfiguration() {
        final PlainParquetConfiguration conf = new PlainParquetConfiguration();
        // The 3-level LIST layout of the Parquet spec: what Spark, DuckDB and pyarrow expect for nested lists.
        conf.set("parquet.avro.write-old-list-structure", "false");
        return conf;
    }

    private static void write(final Iterable<GenericRecord> rows, final CompressionCodecName codec,
                              final Map<String, String> metadata, final OutputFile file) {
        try (ParquetWriter<GenericRecord> writer = AvroParquetWriter.<GenericRecord>builder(file)
                .withSchema(SCHEMA)
                .withConf(writerConfiguration())
                .withDataModel(MODEL)
                .withCodecFactory(new NoHadoopCodecs())
                .withCompressionCodec(codec)
                .withExtraMetaData(metadata)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build()) {
            for (final GenericRecord row : rows) {
                writer.write(row);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot encode rows as Parquet", e);
        }
    }
}
