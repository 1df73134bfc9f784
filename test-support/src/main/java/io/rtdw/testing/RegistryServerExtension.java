package io.rtdw.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.function.Supplier;

/**
 * JUnit 5 extension giving a test class a real Apicurio Registry.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final RegistryServerExtension REGISTRY = new RegistryServerExtension();      // the JVM-wide server
 * ... RegistrySerdes.remote(REGISTRY.server().url(), true) ...
 *
 * &#64;RegisterExtension                                                            // a server of the class's own,
 * static final RegistryServerExtension OWN =                                        // stopped after the class
 *         RegistryServerExtension.dedicated(() -&gt; RegistryServer.builder().compatibility(null));
 * </pre>
 *
 * The default shares {@link RegistryServer#shared()}: one registry per test JVM (~7-20 s to start), so test
 * classes must use their own topic (artifact) names.
 */
public final class RegistryServerExtension implements BeforeAllCallback, AfterAllCallback {

    private final Supplier<RegistryServer.Builder> dedicated;
    private RegistryServer server;

    /** The JVM-wide shared server. */
    public RegistryServerExtension() {
        this(null);
    }

    private RegistryServerExtension(final Supplier<RegistryServer.Builder> dedicated) {
        this.dedicated = dedicated;
    }

    /** A server started before the class's first test from {@code builder} and stopped after its last. */
    public static RegistryServerExtension dedicated(final Supplier<RegistryServer.Builder> builder) {
        return new RegistryServerExtension(builder);
    }

    @Override
    public void beforeAll(final ExtensionContext context) {
        server = dedicated == null ? RegistryServer.shared() : dedicated.get().start();
    }

    @Override
    public void afterAll(final ExtensionContext context) {
        if (server != null) {
            server.close();   // a no-op on the shared server
            server = null;
        }
    }

    /** The running server; only valid between beforeAll and afterAll. */
    public RegistryServer server() {
        if (server == null) {
            throw new IllegalStateException("the registry server runs only inside the test class that registers it");
        }
        return server;
    }
}
