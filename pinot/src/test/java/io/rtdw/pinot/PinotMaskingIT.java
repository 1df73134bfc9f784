package io.rtdw.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.UnifiedCustomerScenario;
import io.rtdw.testing.pinot.PinotLauncher;
import io.rtdw.testing.pinot.PinotTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.rtdw.testing.TestFiles.freshDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A real Pinot 0.11 whose JVM has {@code RTDW_MASK_FIELDS} and {@code RTDW_MASK_KEY_FILE} in its environment (as a
 * Pinot server pod would) ingests the output topic through our decoder: the personal fields it stores are the HMAC
 * pseudonyms computed here with the JDK, or Pinot's null defaults where redacted; other fields are as written.
 */
class PinotMaskingIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);
    private static final Topic<CustomerKey, UnifiedCustomer> TOPIC = CATALOG.unifiedCustomers();
    private static final String KEY = "pinot-masking-it-key-0123456789abcdef";
    /** Pinot's default null values of a STRING and an INT dimension. */
    private static final String NULL_STRING = "null";
    private static final int NULL_INT = Integer.MIN_VALUE;

    private static UnifiedCustomerScenario scenario;
    private static PinotLauncher pinot;

    @BeforeAll
    static void ingest() throws Exception {
        KAFKA.cluster().createTopics(List.of(TOPIC));
        scenario = new UnifiedCustomerScenario(KAFKA.cluster().bootstrapServers(), TOPIC, "pinot-masking-it",
                RegistryServer.shared().serdes());
        scenario.upsert(IntStream.rangeClosed(1, 12).boxed().toList());
        final Path dataDir = freshDir(Path.of("target", "it", "pinot-masking"));
        final Path keyFile = dataDir.resolve("mask-key");
        Files.createDirectories(dataDir);
        Files.writeString(keyFile, KEY + "\n");
        pinot = PinotLauncher.builder().dataDir(dataDir)
                .env("RTDW_MASK_FIELDS", "name,email,phone,address:redact,birth_date:redact")
                .env("RTDW_MASK_KEY_FILE", keyFile.toAbsolutePath().toString())
                .build().start();
        pinot.createSchema(PinotTables.schema());
        pinot.createTable(PinotTables.localTable(TOPIC.name(), KAFKA.cluster().bootstrapServers(),
                RegistryServer.shared().url()));
        pinot.awaitIngested("unified_customer", scenario.committedValues(), Duration.ofMinutes(3));
    }

    @AfterAll
    static void stop() {
        if (pinot != null) {
            pinot.close();
        }
        if (scenario != null) {
            scenario.close();
        }
    }

    /** The oracle: HMAC-SHA256 with the JDK, first 16 bytes in hex. */
    private static String hmac(final String value) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    @Test
    void pinotHoldsPseudonymsAndNullsForTheMaskedFields() throws Exception {
        final Map<Integer, String> expected = new TreeMap<>();
        for (final Map.Entry<Integer, UnifiedCustomer> e : scenario.live().entrySet()) {
            final UnifiedCustomer c = e.getValue();
            expected.put(e.getKey(), String.join("|", hmac(c.getName()), hmac(c.getEmail()), hmac(c.getPhone()),
                    NULL_STRING, String.valueOf(NULL_INT), c.getGender(), c.getProfession(), c.getPhotoUrl()));
        }
        final Map<Integer, String> actual = new TreeMap<>();
        for (final List<JsonNode> row : pinot.rows("SELECT customer_id, name, email, phone, address, birth_date, gender, "
                + "profession, photo_url FROM unified_customer WHERE deleted = false LIMIT 1000")) {
            actual.put(row.get(0).asInt(), row.subList(1, row.size()).stream().map(JsonNode::asText)
                    .collect(Collectors.joining("|")));
        }
        assertEquals(expected, actual);
        assertFalse(expected.isEmpty());
        // Not one clear value in any version ingested.
        assertEquals(0, pinot.client().count("SELECT COUNT(*) FROM unified_customer WHERE email LIKE '%@example.com'"
                + " OR name LIKE 'customer %' OR address LIKE 'street %' OPTION(skipUpsert=true)"));
    }
}
