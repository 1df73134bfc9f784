package io.rtdw.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvTest {

    private static final Setting<Integer> PORT = Setting.integer("T_PORT", 8080, -1, 65535, "a port");
    private static final Setting<String> URL = Setting.string("T_URL", null, "a url").required();
    private static final Setting<String> PASSWORD = Setting.string("T_PASSWORD", "", "a password").secret();
    private static final Setting<Boolean> FLAG = Setting.bool("T_FLAG", false, "a flag");
    private static final Setting<String> FAMILY = Setting.family("T_", "anything");

    @Test
    void defaultsApplyWhenUnset() {
        final Env env = Env.of(Map.of("T_URL", "http://x"));
        assertEquals(8080, env.get(PORT));
        assertEquals(false, env.get(FLAG));
        assertEquals("http://x", env.get(URL));
        env.validate();
    }

    @Test
    void everyProblemIsReportedAtOnceEachNamingItsVariable() {
        final Env env = Env.of(Map.of("T_PORT", "80000", "T_FLAG", "yes"));
        assertNull(env.get(PORT));
        assertNull(env.get(URL));
        assertNull(env.get(FLAG));
        env.check(false, "T_OTHER must agree with T_PORT");
        final ConfigException e = assertThrows(ConfigException.class, env::validate);
        assertEquals(4, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("T_PORT must be in [-1, 65535], was '80000'"), e.getMessage());
        assertTrue(e.problems().get(1).startsWith("T_URL is required"), e.getMessage());
        assertTrue(e.problems().get(2).startsWith("T_FLAG must be true or false"), e.getMessage());
    }

    @Test
    void theStartUpLineHidesSecretsAndSecretLookingPassThroughValues() {
        final Env env = Env.of(Map.of("T_URL", "http://x", "T_PASSWORD", "hunter2",
                "T_SASL_JAAS_CONFIG", "org.apache...PlainLoginModule password=\"p\"", "T_SECURITY_PROTOCOL", "SSL"));
        env.get(URL);
        env.get(PASSWORD);
        final Map<String, String> family = env.family(FAMILY, URL, PASSWORD, PORT);
        assertEquals(Map.of("sasl.jaas.config", "org.apache...PlainLoginModule password=\"p\"",
                "security.protocol", "SSL"), family, "declared variables are not part of the family");
        final String line = env.describe();
        assertFalse(line.contains("hunter2"), line);
        assertFalse(line.contains("PlainLoginModule"), line);
        assertTrue(line.contains("T_PASSWORD=***"), line);
        assertTrue(line.contains("T_SECURITY_PROTOCOL=SSL"), line);
        assertTrue(line.contains("T_URL=http://x"), line);
    }

    @Test
    void aFamilyMemberNamedFromItsPropertyReadsBackAsThatProperty() {
        assertEquals("T_CONSUMER_AUTO_OFFSET_RESET", FAMILY.member("consumer.auto.offset.reset"));
        final Env env = Env.of(Map.of(FAMILY.member("consumer.auto.offset.reset"), "latest",
                FAMILY.member("rocksdb.config.setter"), "x.Y"));
        assertEquals(Map.of("consumer.auto.offset.reset", "latest", "rocksdb.config.setter", "x.Y"),
                env.family(FAMILY));
        assertThrows(IllegalStateException.class, () -> PORT.member("x"), "only a family has members");
    }

    @Test
    void anEmptyRequiredVariableCountsAsMissing() {
        final Env env = Env.of(Map.of("T_URL", "  "));
        assertNull(env.get(URL));
        assertTrue(assertThrows(ConfigException.class, env::validate).getMessage()
                .contains("T_URL is required and must not be empty"));
    }

    @Test
    void aProblemFoundTwiceIsReportedOnce() {
        final Env env = Env.of(Map.of("T_PORT", "x"));
        env.get(PORT);
        env.get(PORT);
        assertEquals(1, assertThrows(ConfigException.class, env::validate).problems().size());
    }

    @Test
    void anEnumChoiceNamesTheAllowedWords() {
        final Setting<String> level = Setting.oneOf("T_LEVEL", "INFO", List.of("INFO", "DEBUG"), "level");
        final Env env = Env.of(Map.of("T_LEVEL", "debug"));
        assertEquals("DEBUG", env.get(level));
        final Env bad = Env.of(Map.of("T_LEVEL", "LOUD"));
        bad.get(level);
        assertTrue(assertThrows(ConfigException.class, bad::validate).getMessage().contains("[INFO, DEBUG]"));
    }

    @Test
    void aServiceCannotDeclareTwoDifferentSettingsWithOneName() {
        final Setting<String> again = Setting.string("T_URL", "x", "another meaning");
        assertThrows(IllegalArgumentException.class, () -> new Service("t", "t", "s", List.of(URL, again), ""));
    }
}
