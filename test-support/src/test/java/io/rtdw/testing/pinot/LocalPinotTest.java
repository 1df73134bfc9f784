package io.rtdw.testing.pinot;

import io.rtdw.runtime.Setting;
import io.rtdw.serde.RegistrySerdes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalPinotTest {

    /** {@code --help} comes from the declarations: every variable LocalPinot reads is listed with its default. */
    @Test
    void helpListsEveryDeclaredVariableWithItsDefault() {
        for (final Setting<?> s : LocalPinotSettings.SETTINGS) {
            assertTrue(LocalPinot.HELP.contains(s.displayName()), "--help lacks " + s.name() + ":\n" + LocalPinot.HELP);
            assertTrue(s.isRequired() || LocalPinot.HELP.contains("[" + s.defaultValue() + "]"),
                    "--help lacks the default of " + s.name() + ":\n" + LocalPinot.HELP);
        }
        assertTrue(LocalPinot.HELP.contains(RegistrySerdes.URL.name()), LocalPinot.HELP);
        assertTrue(LocalPinotSettings.BOOTSTRAP_SERVERS.isRequired(), "Pinot's table needs the brokers");
    }
}
