package io.rtdw.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * s3proxy 4.1.0 (filesystem backend) in its own JVM: the MinIO stand-in of the tests and of the local stack.
 * Objects are plain files under {@link #bucketDir}; with this backend a bucket is a directory. The self-contained
 * jar (jetty, guava, jackson of its own) comes from the system property {@code rtdw.s3proxy.jar}, which the builds
 * of lake-sink and local-stack set.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS = "lake-it";
    public static final String SECRET = "lake-it-secret";

    private final ChildJvm process;
    private final int port;
    private final Path baseDir;

    private S3ProxyServer(final ChildJvm process, final int port, final Path baseDir) {
        this.process = process;
        this.port = port;
        this.baseDir = baseDir;
    }

    /**
     * Starts s3proxy on a free port with {@link #ACCESS}/{@link #SECRET}, data under {@code work/s3} and its log in
     * {@code work/s3proxy.log}; returns once it answers.
     */
    public static S3ProxyServer start(final Path work) {
        return builder(work).start();
    }

    /** Settings of an s3proxy whose configuration, data ({@code s3/}) and log go to {@code work}. */
    public static Builder builder(final Path work) {
        return new Builder(work);
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Where a bucket's objects are, as files. */
    public Path bucketDir(final String bucket) {
        return baseDir.resolve(bucket);
    }

    /** The s3proxy JVM (pid, log, stop). */
    public ChildJvm process() {
        return process;
    }

    /** Waits until s3proxy answers HTTP (403 to an anonymous request proves it listens). */
    public S3ProxyServer awaitReady(final Duration timeout) {
        process.awaitHttp(endpoint() + "/", timeout, status -> true);
        return this;
    }

    @Override
    public void close() {
        process.close();
    }

    /** Settings; {@link #start()} or {@link #launch()} starts the server. */
    public static final class Builder {
        private final Path work;
        private int port;
        private String access = ACCESS;
        private String secret = SECRET;
        private String host = "127.0.0.1";
        private int heapMb = 256;
        private Path log;
        private boolean ownSession;
        private Path jar;
        private final List<String> buckets = new ArrayList<>();

        private Builder(final Path work) {
            this.work = Objects.requireNonNull(work);
        }

        /** A fixed port (default: a free one). */
        public Builder port(final int value) {
            this.port = value;
            return this;
        }

        public Builder credentials(final String accessKey, final String secretKey) {
            this.access = accessKey;
            this.secret = secretKey;
            return this;
        }

        /** Listen on 0.0.0.0 instead of 127.0.0.1. */
        public Builder allInterfaces() {
            this.host = "0.0.0.0";
            return this;
        }

        public Builder heapMb(final int value) {
            this.heapMb = value;
            return this;
        }

        /** The log file (default {@code work/s3proxy.log}). */
        public Builder log(final Path file) {
            this.log = file;
            return this;
        }

        /** See {@link ChildJvm.Builder#ownSession()}. */
        public Builder ownSession() {
            this.ownSession = true;
            return this;
        }

        /** The s3proxy jar (default: system property {@code rtdw.s3proxy.jar}). */
        public Builder jar(final Path value) {
            this.jar = value;
            return this;
        }

        /** Buckets that exist from the start. */
        public Builder buckets(final String... names) {
            buckets.addAll(List.of(names));
            return this;
        }

        /** Starts s3proxy and returns once it answers (60 s at most). */
        public S3ProxyServer start() {
            final S3ProxyServer server = launch();
            try {
                return server.awaitReady(Duration.ofSeconds(60));
            } catch (final RuntimeException e) {
                server.close();
                throw e;
            }
        }

        /** Starts s3proxy without waiting for it ({@link S3ProxyServer#awaitReady}). */
        public S3ProxyServer launch() {
            final Path s3proxyJar = jar != null ? jar
                    : System.getProperty("rtdw.s3proxy.jar") == null ? null : Path.of(System.getProperty("rtdw.s3proxy.jar"));
            if (s3proxyJar == null || !Files.isRegularFile(s3proxyJar)) {
                throw new IllegalStateException("s3proxy jar not found (" + s3proxyJar + "): set rtdw.s3proxy.jar "
                        + "(the lake-sink and local-stack builds copy it into target/)");
            }
            final int actualPort = port > 0 ? port : ChildJvm.freePort();
            final Path baseDir = work.resolve("s3").toAbsolutePath();
            try {
                Files.createDirectories(baseDir);
                for (final String bucket : buckets) {
                    Files.createDirectories(baseDir.resolve(bucket));
                }
                final Path conf = work.resolve("s3proxy.conf");
                Files.writeString(conf, String.join("\n",
                        "s3proxy.endpoint=http://" + host + ":" + actualPort,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + access,
                        "s3proxy.credential=" + secret,
                        "jclouds.provider=filesystem-nio2",
                        "jclouds.filesystem.basedir=" + baseDir) + "\n");
                final ChildJvm.Builder child = ChildJvm.jar("s3proxy", s3proxyJar).heapMb(heapMb).jvmArgs("-XX:+UseSerialGC")
                        .args("--properties", conf.toAbsolutePath().toString())
                        .log(log != null ? log : work.resolve("s3proxy.log")).workDir(work);
                if (ownSession) {
                    child.ownSession();
                }
                return new S3ProxyServer(child.start(), actualPort, baseDir);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot start s3proxy in " + work, e);
            }
        }
    }
}
