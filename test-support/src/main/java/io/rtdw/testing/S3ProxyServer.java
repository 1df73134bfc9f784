package io.rtdw.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** s3proxy 4.1.0 (filesystem backend) in its own JVM: the MinIO stand-in of the tests. Objects are plain files. */
final class S3ProxyServer implements AutoCloseable {

    static final String ACCESS = "lake-it";
    static final String SECRET = "lake-it-secret";

    private final ChildProcess process;
    private final int port;
    private final Path baseDir;

    private S3ProxyServer(final ChildProcess process, final int port, final Path baseDir) {
        this.process = process;
        this.port = port;
        this.baseDir = baseDir;
    }

    /** Starts s3proxy with its data under {@code work/s3} and its log in {@code work/s3proxy.log}. */
    static S3ProxyServer start(final Path work) {
        final int port = ChildProcess.freePort();
        final Path baseDir = work.resolve("s3");
        try {
            Files.createDirectories(baseDir);
            final Path conf = work.resolve("s3proxy.conf");
            Files.writeString(conf, String.join("\n",
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS,
                    "s3proxy.credential=" + SECRET,
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.filesystem.basedir=" + baseDir.toAbsolutePath()) + "\n");
            final String jar = System.getProperty("rtdw.s3proxy.jar");
            if (jar == null || !Files.isRegularFile(Path.of(jar))) {
                throw new IllegalStateException("s3proxy jar not found (" + jar + "): run through mvn verify");
            }
            final ChildProcess process = ChildProcess.java("s3proxy", List.of("-Xmx256m", "-XX:+UseSerialGC"),
                    List.of("-jar", jar, "--properties", conf.toString()), Map.of(), work.resolve("s3proxy.log"));
            try {
                process.awaitHttp("http://127.0.0.1:" + port + "/", Duration.ofSeconds(60));
            } catch (final RuntimeException e) {
                process.close();
                throw e;
            }
            return new S3ProxyServer(process, port, baseDir);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Where a bucket's objects are, as files. */
    Path bucketDir(final String bucket) {
        return baseDir.resolve(bucket);
    }

    @Override
    public void close() {
        process.close();
    }
}
