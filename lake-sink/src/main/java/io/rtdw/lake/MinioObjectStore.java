package io.rtdw.lake;

import io.minio.BucketExistsArgs;
import io.minio.DownloadObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.UploadObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@link ObjectStore} on any S3 API (MinIO in production, s3proxy in tests) through the MinIO Java client. */
public final class MinioObjectStore implements ObjectStore {

    private static final Logger LOG = LoggerFactory.getLogger(MinioObjectStore.class);
    private static final int ATTEMPTS = 4;

    private final MinioClient client;
    private final String bucket;

    public MinioObjectStore(final String endpoint, final String region, final String accessKey,
                            final String secretKey, final String bucket) {
        this.client = MinioClient.builder().endpoint(endpoint).region(region).credentials(accessKey, secretKey).build();
        this.bucket = bucket;
    }

    @Override
    public void ensureBucket() {
        try {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
        } catch (final Exception e) {
            throw new IllegalStateException("cannot check or create bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void put(final String objectName, final byte[] content) {
        withRetries("write s3://" + bucket + "/" + objectName, () -> client.putObject(PutObjectArgs.builder()
                .bucket(bucket).object(objectName).data(content, content.length)
                .contentType("application/vnd.apache.parquet").build()));
    }

    @Override
    public void put(final String objectName, final Path file) {
        withRetries("upload " + file + " to s3://" + bucket + "/" + objectName, () -> client.uploadObject(
                UploadObjectArgs.builder().bucket(bucket).object(objectName).filename(file.toString())
                        .contentType("application/vnd.apache.parquet").build()));
    }

    /**
     * A write is retried a few times before the sink gives up (and exits to be restarted): retrying is safe
     * because a name always stands for the same rows, and a blip of MinIO should not cost a recovery.
     */
    private static void withRetries(final String what, final S3Call call) {
        Exception last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                call.run();
                return;
            } catch (final Exception e) {
                last = e;
                if (attempt < ATTEMPTS) {
                    LOG.warn("cannot {} (attempt {} of {}): {}; retrying", what, attempt, ATTEMPTS, e.toString());
                    try {
                        Thread.sleep(1000L * attempt);
                    } catch (final InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        throw new IllegalStateException("cannot " + what + ": " + (last == null ? "interrupted" : last.getMessage()), last);
    }

    @FunctionalInterface
    private interface S3Call {
        void run() throws Exception;
    }

    /** Downloads one object to a local file (which must not exist yet). Not used by the sink (erasure uses it). */
    public void download(final String objectName, final Path file) {
        withRetries("download s3://" + bucket + "/" + objectName, () -> client.downloadObject(
                DownloadObjectArgs.builder().bucket(bucket).object(objectName).filename(file.toString()).build()));
    }

    @Override
    public void delete(final String objectName) {
        try {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(objectName).build());
        } catch (final Exception e) {
            throw new IllegalStateException("cannot delete s3://" + bucket + "/" + objectName + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list(final String prefix) {
        final List<String> names = new ArrayList<>();
        try {
            for (final Result<Item> result : client.listObjects(
                    ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                names.add(result.get().objectName());
            }
        } catch (final Exception e) {
            throw new IllegalStateException("cannot list s3://" + bucket + "/" + prefix + ": " + e.getMessage(), e);
        }
        return names;
    }

    @Override
    public void close() {
        try {
            // OkHttp's non-daemon threads would otherwise keep the JVM alive for a minute.
            client.close();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot close the S3 client", e);
        }
    }
}
