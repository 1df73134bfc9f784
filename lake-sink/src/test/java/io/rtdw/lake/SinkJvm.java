package io.rtdw.lake;

import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.S3ProxyServer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The lake sink as its container runs it: {@link LakeSinkMain} in its own JVM, without Hadoop on the class path. */
final class SinkJvm {

    private SinkJvm() {
    }

    /** Starts the sink with {@code env} (plus this JVM's environment), output appended to {@code log}. */
    static ChildJvm start(final String name, final Map<String, String> env, final Path log) {
        return ChildJvm.java(name, LakeSinkMain.class.getName()).heapMb(256)
                .jvmArgs("-XX:+UseSerialGC")
                // provided-scope Hadoop is on test class paths only: the sink must run without it
                .classpath(ChildJvm.classPathWithout("/org/apache/hadoop/"))
                .env(env).log(log).start();
    }

    /**
     * The environment of a sink on {@code bootstrapServers}, writing to {@code bucket} of {@code s3}, with the shared
     * registry server and its ops server on {@code httpPort}; a mutable map for the test's own settings.
     */
    static Map<String, String> env(final String bootstrapServers, final S3ProxyServer s3, final String bucket,
                                   final int httpPort) {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), bootstrapServers);
        env.put(LakeSinkConfig.S3_ENDPOINT.name(), s3.endpoint());
        env.put(LakeSinkConfig.S3_BUCKET.name(), bucket);
        env.put(LakeSinkConfig.S3_ACCESS_KEY.name(), S3ProxyServer.ACCESS);
        env.put(LakeSinkConfig.S3_SECRET_KEY.name(), S3ProxyServer.SECRET);
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(httpPort));
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        return env;
    }
}
