package io.rtdw.mask;

import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.schemas.UnifiedCustomer;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FieldMasksTest {

    private static final String KEY = "k".repeat(FieldMasks.MIN_KEY_BYTES);
    private static final String OTHER_KEY = "o".repeat(FieldMasks.MIN_KEY_BYTES);

    private static FieldMasks masks(final String fields, final String key) {
        return FieldMasks.configure(fields, key, null);
    }

    @Test
    void pseudonymIsTheTruncatedHmacSha256OfRfc4231() {
        // RFC 4231 test case 2: key "Jefe"; the expected MAC is the RFC's, truncated to 128 bits.
        assertEquals("5bdcc146bf60754e6a042426089575c7", FieldMasks.pseudonym(
                "Jefe".getBytes(StandardCharsets.US_ASCII), "what do ya want for nothing?"));
        // RFC 4231 test case 6: a 131-byte key of 0xaa, through a configured mask.
        final byte[] key = new byte[131];
        Arrays.fill(key, (byte) 0xaa);
        final FieldMasks masks = FieldMasks.of(Map.of("email", FieldMasks.Mode.HMAC), key);
        assertEquals("60e431591ee0b67f0d8a26aacbf5b77f",
                masks.apply("email", "Test Using Larger Than Block-Size Key - Hash Key First"));
    }

    @Test
    void stableAndKeyed() {
        final FieldMasks a = masks("email,phone", KEY);
        final FieldMasks b = masks("phone, email", KEY);
        final Object pseudonym = a.apply("email", "ana@example.com");
        assertEquals(pseudonym, a.apply("email", "ana@example.com"), "stable within one instance");
        assertEquals(pseudonym, b.apply("email", new StringBuilder("ana@example.com")), "stable across instances");
        assertEquals(FieldMasks.pseudonym(KEY.getBytes(StandardCharsets.UTF_8), "ana@example.com"), pseudonym);
        assertNotEquals(pseudonym, a.apply("email", "ana@example.org"), "different values stay different");
        assertNotEquals(pseudonym, masks("email", OTHER_KEY).apply("email", "ana@example.com"),
                "another key gives another pseudonym");
        assertTrue(pseudonym.toString().matches("[0-9a-f]{32}"), pseudonym.toString());
        assertNotEquals("ana@example.com", pseudonym);
    }

    @Test
    void nullStaysNullRedactIsNullOthersUntouched() {
        final FieldMasks masks = masks("email,address:redact,birth_date:redact", KEY);
        assertNull(masks.apply("email", null));
        assertNull(masks.apply("address", "Rua A, 1"));
        assertNull(masks.apply("birth_date", 7000));
        assertEquals("Ana", masks.apply("name", "Ana"));
        assertEquals(42, masks.apply("customer_id", 42));
        assertEquals(Map.of("email", FieldMasks.Mode.HMAC, "address", FieldMasks.Mode.REDACT,
                "birth_date", FieldMasks.Mode.REDACT), masks.fields());
        assertNull(masks("name:REDACT", null).apply("name", "Ana"), "redact alone needs no key");
    }

    @Test
    void emptyIsNone() {
        assertSame(FieldMasks.NONE, masks("", null));
        assertSame(FieldMasks.NONE, masks(null, KEY));
        assertSame(FieldMasks.NONE, FieldMasks.fromEnvironment(Map.of()));
        assertEquals("x", FieldMasks.NONE.apply("email", "x"));
    }

    @Test
    void rejectsWhatCannotBeMasked() {
        for (final String bad : new String[] {"emial", "customer_id", "flights", "vehicles:redact", "version"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> masks(bad, KEY));
            assertTrue(e.getMessage().contains("not a personal field"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> masks("birth_date", KEY)).getMessage()
                .contains("birth_date:redact"));
        assertThrows(IllegalArgumentException.class, () -> masks("email:sha1", KEY));
        assertThrows(IllegalArgumentException.class, () -> masks("email,,phone", KEY));
        assertThrows(IllegalArgumentException.class, () -> masks("email,email:redact", KEY));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> masks("email", null)).getMessage()
                .contains(FieldMasks.KEY_VARIABLE));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> masks("email", "short")).getMessage()
                .contains("at least"));
    }

    @Test
    void keyFromAFileEqualsTheSameKeyInTheEnvironment(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("key");
        Files.writeString(file, KEY + "\n");
        final FieldMasks fromFile = FieldMasks.configure("email", null, file.toString());
        assertEquals(masks("email", KEY).apply("email", "a@b"), fromFile.apply("email", "a@b"));
        assertThrows(IllegalArgumentException.class, () -> FieldMasks.configure("email", KEY, file.toString()));
        assertThrows(IllegalArgumentException.class,
                () -> FieldMasks.configure("email", null, dir.resolve("missing").toString()));
    }

    @Test
    void personalFieldsAreFieldsOfTheUnifiedRecord() {
        final Schema schema = UnifiedCustomer.getClassSchema();
        FieldMasks.PERSONAL_FIELDS.forEach((name, text) -> {
            final Schema.Field field = schema.getField(name);
            assertNotNull(field, name);
            final boolean isText = field.schema().getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.STRING);
            assertEquals(isText, text, name);
        });
        // Every nullable customer column of the record is personal (README "Personal data").
        for (final Schema.Field field : schema.getFields()) {
            if (field.schema().getType() == Schema.Type.UNION) {
                assertTrue(FieldMasks.PERSONAL_FIELDS.containsKey(field.name()), field.name());
            }
        }
    }

    @Test
    void servicesReportProblemsAsConfigurationErrors() {
        final ConfigException e = assertThrows(ConfigException.class, () -> Env.read(
                Map.of(FieldMasks.FIELDS_VARIABLE, "email,ssn"), MaskSettings::fromEnv));
        assertTrue(e.getMessage().contains("'ssn' is not a personal field"), e.getMessage());
        final Env env = Env.of(Map.of(FieldMasks.FIELDS_VARIABLE, "phone", FieldMasks.KEY_VARIABLE, KEY));
        final FieldMasks masks = MaskSettings.fromEnv(env);
        env.validate();
        assertEquals(masks("phone", KEY).apply("phone", "+351 1"), masks.apply("phone", "+351 1"));
        assertTrue(env.describe().contains(FieldMasks.KEY_VARIABLE + "=***"), env.describe());
        assertTrue(!env.describe().contains(KEY), "the key is never shown");
    }
}
