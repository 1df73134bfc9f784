package io.rtdw.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MinIO policies of k8s/base/sources-security are checked offline (s3proxy, the local stand-in, enforces no
 * policy): valid JSON, Allow only, and exactly the actions on exactly the resources each service uses, with the bucket
 * names and prefixes taken from the services' own configuration.
 */
class BucketPoliciesTest {

    private static final Path DIR = Path.of("..", "k8s", "base", "sources-security");

    /** resource -> actions granted on it; fails on anything but Allow statements with Action and Resource lists. */
    private static Map<String, Set<String>> grants(final String file) throws IOException {
        final JsonNode policy = new ObjectMapper().readTree(Files.readString(DIR.resolve(file)));
        assertEquals("2012-10-17", policy.path("Version").asText(), file);
        final Map<String, Set<String>> grants = new TreeMap<>();
        for (final JsonNode statement : policy.path("Statement")) {
            assertEquals("Allow", statement.path("Effect").asText(), file + ": only Allow statements");
            assertTrue(statement.path("Action").isArray() && statement.path("Resource").isArray(), file);
            for (final JsonNode resource : statement.path("Resource")) {
                for (final JsonNode action : statement.path("Action")) {
                    grants.computeIfAbsent(resource.asText(), r -> new TreeSet<>()).add(action.asText());
                }
            }
        }
        assertTrue(!grants.isEmpty(), file);
        return grants;
    }

    private static String arn(final String bucket, final String key) {
        return "arn:aws:s3:::" + bucket + (key == null ? "" : "/" + key);
    }

    /**
     * MinioObjectStore: ensureBucket (HeadBucket) and list (ListObjectsV2) need ListBucket on the bucket; put (single
     * or multipart upload) PutObject and AbortMultipartUpload under the two prefixes the sink writes; delete is only
     * used for stale snapshot parts. The sink reads no object. The bucket exists beforehand (k8s bucket Job), so no
     * CreateBucket.
     */
    @Test
    void lakeSinkWritesItsTwoPrefixesAndReadsNothing() throws IOException {
        final String bucket = LakeSinkConfig.S3_BUCKET.defaultValue();
        assertEquals(Map.of(
                arn(bucket, null), Set.of("s3:ListBucket"),
                arn(bucket, ChangelogFile.PREFIX + "*"), Set.of("s3:PutObject", "s3:AbortMultipartUpload"),
                arn(bucket, LakeSink.SNAPSHOT_PREFIX + "*"), Set.of("s3:PutObject", "s3:AbortMultipartUpload",
                        "s3:DeleteObject")), grants("minio-policy-lake-sink.json"));
    }

    @Test
    void lakeReadersOnlyListAndRead() throws IOException {
        final String bucket = LakeSinkConfig.S3_BUCKET.defaultValue();
        assertEquals(Map.of(arn(bucket, null), Set.of("s3:ListBucket"), arn(bucket, "*"), Set.of("s3:GetObject")),
                grants("minio-policy-lake-reader.json"));
    }

    /** Pinot's deep store is the bucket of the controller's -dataDir; S3PinotFS lists, reads, writes, deletes in it. */
    @Test
    void pinotUsesItsDeepStoreBucketOnly() throws IOException {
        final String controller = Files.readString(Path.of("..", "k8s", "base", "pinot", "controller-statefulset.yaml"));
        final Matcher dataDir = Pattern.compile("\"-dataDir\", \"s3://([^/\"]+)/").matcher(controller);
        assertTrue(dataDir.find(), "controller -dataDir s3://BUCKET/...");
        final String bucket = dataDir.group(1);
        assertTrue(!bucket.equals(LakeSinkConfig.S3_BUCKET.defaultValue()), "Pinot and the lake use separate buckets");
        assertEquals(Map.of(arn(bucket, null), Set.of("s3:ListBucket"), arn(bucket, "*"), Set.of("s3:GetObject",
                "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")), grants("minio-policy-pinot.json"));
    }
}
