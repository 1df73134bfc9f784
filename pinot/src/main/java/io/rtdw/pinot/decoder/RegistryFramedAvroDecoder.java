package io.rtdw.pinot.decoder;

import io.rtdw.mask.FieldMasks;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.pinot.spi.data.readers.GenericRow;
import org.apache.pinot.spi.stream.StreamMessageDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pinot stream decoder for the pipeline's output topic: registry-framed Avro (magic byte 0, 4-byte big-endian
 * schema id, Avro binary), the wire format of the Apicurio serdes.
 *
 * <p><b>Which id is in the frame.</b> The project's serdes ({@code io.rtdw.serde.RegistrySerdes}, Apicurio
 * 3.1.7) write the registry's <b>contentId</b>: {@code Default4ByteIdHandler} writes
 * {@code reference.getContentId()} unless {@code apicurio.registry.use-id=globalId}, and
 * {@code SerdeConfig.USE_ID_DEFAULT} is {@code IdOption.contentId} (Apicurio source, tag 3.1.7,
 * {@code serdes/generic/serde-common/.../Default4ByteIdHandler.java} and {@code .../config/SerdeConfig.java});
 * {@code RegistrySerdes} does not change it. {@code RegistrySerdesRemoteIT} (test-support) checks it against the
 * real server: three artifacts sharing one content get three globalIds and frames with the one contentId.
 *
 * <p><b>Two ways to find the writer's schema</b>, chosen by the decoder property {@code registry.url}
 * ({@code stream.kafka.decoder.prop.registry.url} in the table config):
 * <ul>
 *   <li><b>set</b> (the Apicurio v3 API, e.g. {@code http://apicurio-registry:8080/apis/registry/v3}): an id seen
 *       for the first time is fetched with {@code GET <url>/ids/contentIds/<id>} and cached for the life of the
 *       decoder. The record is decoded with its writer's schema itself, like Pinot's own registry decoders do:
 *       fields the Pinot schema has become columns, others are ignored, missing ones get Pinot's defaults. So a
 *       new schema version needs no new decoder jar. Transient failures (connection errors, timeouts, HTTP 5xx
 *       and 429) are retried up to {@code registry.max.attempts} times (default 5) with a doubling pause from
 *       {@code registry.retry.backoff.ms} (default 200 ms, at most 5 s); each request has
 *       {@code registry.timeout.ms} (default 5000) to connect and to read. After that the record is dropped and
 *       logged, and the next record with that id asks again. An id the registry does not know (HTTP 404, or any
 *       other 4xx) drops its records for {@code registry.unknown.id.retry.ms} (default 60 s) without asking.</li>
 *   <li><b>unset or empty</b>: no registry. The jar carries every released {@code UnifiedCustomer} schema, and a
 *       schema's id is computed from its content exactly like {@code io.rtdw.serde.EmbeddedRegistryClient.idOf}
 *       (Avro parsing fingerprint folded to 31 bits): the ids of the in-process registry of tests and the
 *       embedded local stack. Records written with any released version are resolved to the newest one.</li>
 * </ul>
 *
 * <p>It runs inside Pinot 0.11's JVM: only avro APIs that exist in 1.7.7 and the JDK's HTTP client are used, and
 * nothing but {@code pinot-spi}. Empty values (tombstones) and undecodable values return {@code null}, which Pinot
 * counts as a dropped row, like Pinot's own decoders do; they are logged (the first 10, then every 1000th).
 *
 * <p><b>Masking.</b> When the Pinot server's environment sets {@code RTDW_MASK_FIELDS} (with {@code RTDW_MASK_KEY}
 * or {@code RTDW_MASK_KEY_FILE}), the named personal fields of each row are pseudonymised or nulled before Pinot
 * sees them ({@link FieldMasks}, the same function and variables as the lake sink's, so one key gives equal
 * pseudonyms in both copies). A wrong setting fails {@link #init}: the table's consuming segment goes to ERROR
 * rather than ingesting clear values.
 *
 * <p>Table config: {@code "stream.kafka.decoder.class.name": "io.rtdw.pinot.decoder.RegistryFramedAvroDecoder"}.
 */
public class RegistryFramedAvroDecoder implements StreamMessageDecoder<byte[]> {

    /** Decoder property: the Apicurio Registry v3 API; empty or absent selects the bundled schemas. */
    public static final String REGISTRY_URL = "registry.url";
    /** Decoder property: connect and read timeout of one registry request, ms. */
    public static final String TIMEOUT_MS = "registry.timeout.ms";
    /** Decoder property: attempts per schema lookup before the record is dropped. */
    public static final String MAX_ATTEMPTS = "registry.max.attempts";
    /** Decoder property: first pause between attempts, ms (doubles, at most 5 s). */
    public static final String RETRY_BACKOFF_MS = "registry.retry.backoff.ms";
    /** Decoder property: how long an id the registry does not know drops its records without asking again, ms. */
    public static final String UNKNOWN_ID_RETRY_MS = "registry.unknown.id.retry.ms";

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFramedAvroDecoder.class);
    private static final String SCHEMA_RESOURCE = "io/rtdw/schemas/released/UnifiedCustomer/v%d.avsc";
    private static final int HEADER = 5;
    private static final byte MAGIC = 0;
    private static final long MAX_BACKOFF_MS = 5_000;

    private final Map<String, String> environment;
    private final Map<Long, Schema> writerSchemas = new HashMap<>();
    private final Map<Long, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private final Map<Long, Long> unknownUntil = new HashMap<>();
    private Schema readerSchema;
    private Set<String> fieldsToRead;
    private FieldMasks masks = FieldMasks.NONE;
    private BinaryDecoder decoder;
    private long dropped;
    private String topic;

    private String registryUrl;
    private int timeoutMs;
    private int maxAttempts;
    private long backoffMs;
    private long unknownIdRetryMs;

    /** As Pinot creates it: masking from the process environment. */
    public RegistryFramedAvroDecoder() {
        this(System.getenv());
    }

    /** With {@code environment} in place of the process's (tests). */
    RegistryFramedAvroDecoder(final Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public void init(final Map<String, String> props, final Set<String> fieldsToRead, final String topicName)
            throws Exception {
        this.fieldsToRead = fieldsToRead;
        this.topic = topicName;
        try {
            masks = FieldMasks.fromEnvironment(environment);
        } catch (final IllegalArgumentException e) {
            LOG.error("{}: masking is misconfigured, nothing is ingested: {}", topicName, e.getMessage());
            throw e;
        }
        if (!masks.isEmpty()) {
            LOG.info("{}: masking personal fields {}", topicName, masks);
        }
        final String url = props == null ? null : props.get(REGISTRY_URL);
        if (url != null && !url.trim().isEmpty()) {
            registryUrl = url.trim().replaceAll("/+$", "");
            timeoutMs = intProp(props, TIMEOUT_MS, 5_000, 1);
            maxAttempts = intProp(props, MAX_ATTEMPTS, 5, 1);
            backoffMs = intProp(props, RETRY_BACKOFF_MS, 200, 0);
            unknownIdRetryMs = intProp(props, UNKNOWN_ID_RETRY_MS, 60_000, 0);
            LOG.info("decoding {}: writer schemas by contentId from the registry at {} (timeout {} ms, {} attempts, "
                    + "backoff from {} ms)", topicName, registryUrl, timeoutMs, maxAttempts, backoffMs);
            return;
        }
        for (int version = 1; ; version++) {
            final String schema = resource(String.format(SCHEMA_RESOURCE, version));
            if (schema == null) {
                break;
            }
            readerSchema = new Schema.Parser().parse(schema);
            writerSchemas.put(idOf(readerSchema), readerSchema);
        }
        if (readerSchema == null) {
            throw new IllegalStateException("no UnifiedCustomer schema found at " + String.format(SCHEMA_RESOURCE, 1)
                    + ": the decoder jar is incomplete");
        }
        LOG.info("decoding {} without a registry ({} not set): bundled UnifiedCustomer schema ids {}", topicName,
                REGISTRY_URL, writerSchemas.keySet());
    }

    /** Content-addressed schema id; must stay equal to {@code EmbeddedRegistryClient.idOf}. */
    static long idOf(final Schema schema) {
        final long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        return (fingerprint ^ (fingerprint >>> 32)) & 0x7fffffffL;
    }

    @Override
    public GenericRow decode(final byte[] payload, final GenericRow destination) {
        return payload == null ? null : decode(payload, 0, payload.length, destination);
    }

    @Override
    public GenericRow decode(final byte[] payload, final int offset, final int length, final GenericRow destination) {
        if (payload == null || length == 0) {
            return null;
        }
        if (length < HEADER || payload[offset] != MAGIC) {
            return drop("value is not registry-framed Avro (no magic byte 0)", null);
        }
        final long id = ((payload[offset + 1] & 0xffL) << 24) | ((payload[offset + 2] & 0xffL) << 16)
                | ((payload[offset + 3] & 0xffL) << 8) | (payload[offset + 4] & 0xffL);
        GenericDatumReader<GenericRecord> reader = readers.get(id);
        if (reader == null) {
            reader = registryUrl == null ? bundledReader(id) : registryReader(id);
            if (reader == null) {
                return null;   // dropped and logged
            }
            readers.put(id, reader);
        }
        try {
            decoder = DecoderFactory.get().binaryDecoder(payload, offset + HEADER, length - HEADER, decoder);
            final GenericRecord record = reader.read(null, decoder);
            return extract(record, destination);
        } catch (final IOException | RuntimeException e) {
            return drop("cannot decode Avro value with schema id " + id, e);
        }
    }

    private GenericDatumReader<GenericRecord> bundledReader(final long id) {
        final Schema writer = writerSchemas.get(id);
        if (writer == null) {
            drop("unknown schema id " + id + "; known " + writerSchemas.keySet()
                    + " (deploy a decoder jar built with the new schema, or set " + REGISTRY_URL + ")", null);
            return null;
        }
        return new GenericDatumReader<>(writer, readerSchema);
    }

    private GenericDatumReader<GenericRecord> registryReader(final long id) {
        final Long retryAt = unknownUntil.get(id);
        if (retryAt != null) {
            if (System.currentTimeMillis() < retryAt) {
                drop("schema id " + id + " is not in the registry at " + registryUrl, null);
                return null;
            }
            unknownUntil.remove(id);
        }
        final String schemaText;
        try {
            schemaText = fetchSchema(id);
        } catch (final UnknownId e) {
            unknownUntil.put(id, System.currentTimeMillis() + unknownIdRetryMs);
            drop(e.getMessage() + " (its records are dropped for the next " + unknownIdRetryMs + " ms)", null);
            return null;
        } catch (final IOException e) {
            drop("registry at " + registryUrl + " unreachable for schema id " + id + " after " + maxAttempts
                    + " attempts; the record is dropped, the next one with this id asks again", e);
            return null;
        }
        final Schema writer;
        try {
            writer = new Schema.Parser().parse(schemaText);
        } catch (final RuntimeException e) {
            drop("the registry's content " + id + " is not an Avro schema", e);
            return null;
        }
        LOG.info("{}: schema id {} is {} (from {})", topic, id, writer.getFullName(), registryUrl);
        return new GenericDatumReader<>(writer);
    }

    /** The schema text of a contentId; retries transient failures; {@link UnknownId} when the registry says no. */
    private String fetchSchema(final long id) throws IOException {
        final URL url = new URL(registryUrl + "/ids/contentIds/" + id);
        long pause = backoffMs;
        IOException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                final HttpURLConnection connection = (HttpURLConnection) url.openConnection();
                connection.setConnectTimeout(timeoutMs);
                connection.setReadTimeout(timeoutMs);
                connection.setRequestProperty("Accept", "application/json, */*");
                try {
                    final int status = connection.getResponseCode();
                    if (status == HttpURLConnection.HTTP_OK) {
                        return read(connection.getInputStream());
                    }
                    final String body = connection.getErrorStream() == null ? "" : read(connection.getErrorStream());
                    if (status >= 400 && status < 500 && status != 429 && status != 408) {
                        throw new UnknownId("schema id " + id + ": the registry at " + registryUrl + " answered HTTP "
                                + status + " " + abbreviate(body));
                    }
                    last = new IOException("HTTP " + status + " " + abbreviate(body));
                } finally {
                    connection.disconnect();
                }
            } catch (final UnknownId e) {
                throw e;
            } catch (final IOException e) {
                last = e;
            }
            if (attempt < maxAttempts) {
                LOG.warn("{}: schema id {}: attempt {}/{} at {} failed ({}); retrying in {} ms", topic, id, attempt,
                        maxAttempts, url, last.toString(), pause);
                try {
                    Thread.sleep(pause);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the registry", e);
                }
                pause = Math.min(MAX_BACKOFF_MS, Math.max(1, pause * 2));
            }
        }
        throw last;
    }

    /** The registry does not have (or will not give) this id: retrying now would not help. */
    private static final class UnknownId extends IOException {
        private static final long serialVersionUID = 1L;

        UnknownId(final String message) {
            super(message);
        }
    }

    /**
     * Record to row the way Pinot's AvroRecordExtractor does it (nested records become maps, arrays become
     * {@code Object[]}, Avro strings become Java strings), written here so that the jar needs nothing but
     * pinot-spi: pinot-avro-base would bring guava into every test that loads the decoder.
     */
    private GenericRow extract(final GenericRecord record, final GenericRow row) {
        final boolean all = fieldsToRead == null || fieldsToRead.isEmpty();
        for (final Schema.Field field : record.getSchema().getFields()) {
            if (all || fieldsToRead.contains(field.name())) {
                row.putValue(field.name(), masks.apply(field.name(), convert(record.get(field.pos()))));
            }
        }
        return row;
    }

    private static Object convert(final Object value) {
        if (value instanceof CharSequence) {
            return value.toString();
        }
        if (value instanceof GenericRecord) {
            final GenericRecord nested = (GenericRecord) value;
            final Map<String, Object> map = new LinkedHashMap<>();
            for (final Schema.Field field : nested.getSchema().getFields()) {
                map.put(field.name(), convert(nested.get(field.pos())));
            }
            return map;
        }
        if (value instanceof List) {
            final List<?> list = (List<?>) value;
            final Object[] array = new Object[list.size()];
            for (int i = 0; i < array.length; i++) {
                array[i] = convert(list.get(i));
            }
            return array;
        }
        if (value instanceof ByteBuffer) {
            final ByteBuffer buffer = ((ByteBuffer) value).duplicate();
            final byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        }
        if (value instanceof org.apache.avro.generic.GenericEnumSymbol) {
            return value.toString();
        }
        return value;
    }

    private GenericRow drop(final String why, final Exception cause) {
        dropped++;
        // Logged for the first few and then every 1000th: a bad producer must not flood Pinot's log.
        if (dropped <= 10 || dropped % 1000 == 0) {
            if (cause == null) {
                LOG.error("{}: dropping record #{}: {}", topic, dropped, why);
            } else {
                LOG.error("{}: dropping record #{}: {}", topic, dropped, why, cause);
            }
        }
        return null;
    }

    private static int intProp(final Map<String, String> props, final String name, final int fallback, final int min) {
        final String value = props.get(name);
        if (value == null || value.trim().isEmpty()) {
            return fallback;
        }
        final int parsed = Integer.parseInt(value.trim());
        if (parsed < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", was " + parsed);
        }
        return parsed;
    }

    private static String abbreviate(final String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }

    private static String read(final InputStream stream) throws IOException {
        try (InputStream in = stream) {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        }
    }

    private static String resource(final String name) throws IOException {
        final InputStream in = RegistryFramedAvroDecoder.class.getClassLoader().getResourceAsStream(name);
        return in == null ? null : read(in);
    }
}
