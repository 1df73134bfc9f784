package io.rtdw.lake;

import io.minio.BucketExistsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.UploadObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@link ObjectStore} on any S3 API (MinIO in production, s3proxy in tests) through the MinIO Java client. */
public final class MinioObjectStore implements ObjectStore {

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
        try {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(objectName)
                    .data(content, content.length).contentType("application/vnd.apache.parquet").build());
        } catch (final Exception e) {
            throw new IllegalStateException("cannot write s3://" + bucket + "/" + objectName + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void put(final String objectName, final Path file) {
        try {
            client.uploadObject(UploadObjectArgs.builder().bucket(bucket).object(objectName)
                    .filename(file.toString()).contentType("application/vnd.apache.parquet").build());
        } catch (final Exception e) {
            throw new IllegalStateException("cannot upload " + file + " to s3://" + bucket + "/" + objectName + ": "
                    + e.getMessage(), e);
        }
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
