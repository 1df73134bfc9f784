package io.rtdw.streams;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.TestFiles;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Instances of the streams app, each in its own JVM (so one can be killed like {@code kill -9} or stopped like a pod),
 * on the in-process cluster with a topic prefix of their own. Instance {@code i} has the identity a StatefulSet pod
 * {@code app-i} keeps across restarts: the static membership id {@code RTDW_INSTANCE_ID=app-i}
 * ({@code group.instance.id}, the pod name in k8s), its HTTP port and its state directory {@code <state>/app-i} (the
 * pod's volume). {@link #start(int)} after a stop brings back the same instance, as a restarted pod.
 */
final class AppInstances implements AutoCloseable {

    private final TopicCatalog catalog;
    private final String applicationId;
    private final Path state;
    private final Path logs;
    private final String logName;
    private final Map<String, String> env = new HashMap<>();
    private final int[] ports;
    private final ChildJvm[] running;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /**
     * {@code count} instances of application {@code applicationId} over {@code catalog}'s topics, which are created on
     * {@code cluster}; logs in {@code target/it-logs/<logName>-app-i.log} (emptied first), state in {@code target/it-state/<logName>/app-i}
     * (emptied first).
     */
    AppInstances(final KafkaTestCluster cluster, final TopicCatalog catalog, final String applicationId,
                 final String guarantee, final int count, final String logName) throws IOException {
        this.catalog = catalog;
        this.applicationId = applicationId;
        this.logName = logName;
        cluster.createTopics(List.of(catalog.customers(), catalog.flights(), catalog.vehicles(),
                catalog.unifiedCustomers(), catalog.streamsDeadLetters()));
        this.logs = Files.createDirectories(Path.of("target", "it-logs"));
        this.state = TestFiles.freshDir(Path.of("target", "it-state", logName));
        this.ports = new int[count];
        this.running = new ChildJvm[count];
        for (int i = 0; i < count; i++) {
            ports[i] = ChildJvm.freePort();
            Files.deleteIfExists(logs.resolve(logName + "-app-" + i + ".log"));
        }
        env.put(StreamsSettings.PROCESSING_GUARANTEE.name(), guarantee);
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), cluster.bootstrapServers());
        env.put(StreamsSettings.APPLICATION_ID.name(), applicationId);
        env.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), "200");
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "1");
        env.put(StreamsSettings.MAX_CHILDREN.name(), "10000");
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        // A restarted static member within the session timeout takes its tasks back without a rebalance.
        env.put("KAFKA_SESSION_TIMEOUT_MS", "20000");
    }

    /** A catalog of the default names under {@code prefix}, with {@code partitions} partitions per topic. */
    static TopicCatalog catalog(final String prefix, final int partitions) {
        return new TopicCatalog(prefix, TopicCatalog.DEFAULT.pgSchema(), TopicCatalog.DEFAULT.mongoDb(), partitions,
                TopicCatalog.DEFAULT.replicationFactor());
    }

    /** Sets (or overrides) a variable of every instance started from now on. */
    AppInstances env(final String name, final String value) {
        env.put(name, value);
        return this;
    }

    TopicCatalog catalog() {
        return catalog;
    }

    String applicationId() {
        return applicationId;
    }

    int count() {
        return running.length;
    }

    /** Instance {@code i}'s state directory: the pod's volume, kept across its restarts. */
    Path stateDir(final int i) {
        return state.resolve("app-" + i);
    }

    Path log(final int i) {
        return logs.resolve(logName + "-app-" + i + ".log");
    }

    ChildJvm instance(final int i) {
        return running[i];
    }

    /** Starts instance {@code i} (again) with this build's class path. */
    ChildJvm start(final int i) {
        return start(i, null);
    }

    /**
     * Starts instance {@code i} (again), with {@code classPathFirst} (when not null) ahead of this build's class path:
     * another build of some classes, as a new image would bring. Same identity, port and state directory.
     */
    ChildJvm start(final int i, final Path classPathFirst) {
        final Map<String, String> own = new HashMap<>(env);
        own.put(StreamsSettings.STATE_DIR.name(), stateDir(i).toString());
        own.put(StreamsSettings.INSTANCE_ID.name(), "app-" + i);
        own.put(OpsServer.HTTP_PORT.name(), String.valueOf(ports[i]));
        final ChildJvm.Builder builder = ChildJvm.java("app-" + i, StreamsApp.class.getName()).heapMb(384).quickStart()
                .env(own).log(log(i));
        if (classPathFirst != null) {
            builder.classpath(classPathFirst + File.pathSeparator + System.getProperty("java.class.path"));
        }
        running[i] = builder.start();
        return running[i];
    }

    /** Starts every instance. */
    void startAll() {
        for (int i = 0; i < running.length; i++) {
            start(i);
        }
    }

    /** Waits until instance {@code i} answers 200 on {@code /health/ready} (RUNNING, nothing restoring). */
    void awaitReady(final int i, final Duration timeout) {
        running[i].awaitHttp(url(i, "/health/ready"), timeout);
    }

    void awaitAllReady(final Duration timeout) {
        for (int i = 0; i < running.length; i++) {
            awaitReady(i, timeout);
        }
    }

    /**
     * The body of {@code GET path} on instance {@code i}. Tried up to three times: a pooled connection may still
     * lead to the instance's previous process, which had the same port.
     */
    String get(final int i, final String path) {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return http.send(HttpRequest.newBuilder(URI.create(url(i, path))).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
            } catch (final IOException e) {
                last = e;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new UncheckedIOException("GET " + url(i, path), last);
    }

    private String url(final int i, final String path) {
        return "http://127.0.0.1:" + ports[i] + path;
    }

    /**
     * Stops instance {@code i} the way the kubelet stops a pod (SIGTERM, SIGKILL after {@code graceSeconds}) and
     * checks it closed its Kafka Streams client cleanly: exit 143 (128 + SIGTERM, the shutdown hooks ran) and the
     * close's own "closed cleanly" after its "closing" line.
     */
    void stopCleanly(final int i, final long graceSeconds) {
        final ChildJvm app = running[i];
        final int status = app.stop(graceSeconds);
        assertTrue(status == 143, app.name() + " stops on SIGTERM with 143, not " + status + ":\n" + app.tail(20));
        final String log = app.logText();
        // The state listener may log NOT_RUNNING after the close returns: look for the close's own line.
        assertTrue(log.lastIndexOf("closed cleanly") > log.lastIndexOf("closing (timeout"),
                app.name() + " closed its client: " + app.tail(20));
    }

    @Override
    public void close() {
        for (final ChildJvm app : running) {
            if (app != null) {
                app.close();
            }
        }
    }
}
