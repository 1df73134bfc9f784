package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Least privilege at the sources and sinks, as deployed: MinIO's root keys only with MinIO and the bucket Job, the
 * lake sink and Pinot each with their own user, created by that Job with exactly the policy file of its service; the
 * PostgreSQL capture as the role the module's SQL creates, whose password the setup Job sets from the same Secret,
 * and the Job runs the module's SQL files themselves (the ConfigMap equals them).
 */
class SourceCredentialsTest {

    static final List<String> OVERLAYS = Overlays.ALL;
    private static final Pattern CREATE_POLICY = Pattern.compile("mc admin policy create lake (\\S+) /policies/(\\S+)");
    private static final Pattern USER_ADD = Pattern.compile("mc admin user add lake \"\\$(\\w+)\" \"\\$(\\w+)\"");
    private static final Pattern ATTACH = Pattern.compile("mc admin policy attach lake (\\S+) --user \"\\$(\\w+)\"");

    private static String secretOf(final Container c, final String env) {
        final EnvVar var = Resources.env(c, env).orElseThrow(() -> new AssertionError(c.getName() + " has no " + env));
        return var.getValueFrom() == null || var.getValueFrom().getSecretKeyRef() == null ? null
                : var.getValueFrom().getSecretKeyRef().getName();
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void minioRootKeysStayWithMinioAndTheBucketJob(final String overlay) {
        final TreeSet<String> users = new TreeSet<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.template().getSpec().getContainers()) {
                if (c.getEnv() != null && c.getEnv().stream().anyMatch(e -> e.getValueFrom() != null
                        && e.getValueFrom().getSecretKeyRef() != null
                        && e.getValueFrom().getSecretKeyRef().getName().equals("rtdw-minio"))) {
                    users.add(w.owner().getMetadata().getName());
                }
            }
        }
        assertEquals(new TreeSet<>(List.of("minio", "minio-bucket")), users, overlay + ": who holds MinIO's root keys");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void eachS3ClientIsTheUserTheBucketJobGivesItsPolicy(final String overlay) throws IOException {
        final Job job = Overlays.get(overlay, Job.class, "minio-bucket");
        final Container mc = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        final String script = String.join("\n", mc.getCommand());
        // policy name -> file, as the Job creates them; every file of the ConfigMap is created, and only those.
        final Map<String, String> policies = new TreeMap<>();
        for (final Matcher m = CREATE_POLICY.matcher(script); m.find(); ) {
            policies.put(m.group(1), m.group(2));
        }
        final ConfigMap files = Overlays.get(overlay, ConfigMap.class, "minio-policies");
        assertEquals(files.getData().keySet(), new TreeSet<>(policies.values()), overlay + ": policies created");
        assertTrue(job.getSpec().getTemplate().getSpec().getVolumes().stream().anyMatch(v -> v.getConfigMap() != null
                && v.getConfigMap().getName().equals("minio-policies")), "the Job mounts the policies");
        final Path dir = Overlays.moduleDir().resolve("base/sources-security");
        for (final Map.Entry<String, String> f : files.getData().entrySet()) {
            assertEquals(Files.readString(dir.resolve(f.getKey())), f.getValue(), "ConfigMap equals " + f.getKey());
        }
        // Secret of each user the Job adds -> the policy attached to it.
        final Map<String, String> userSecretToPolicy = new TreeMap<>();
        for (final Matcher add = USER_ADD.matcher(script); add.find(); ) {
            final String secret = secretOf(mc, add.group(1));
            assertEquals(secret, secretOf(mc, add.group(2)), "access and secret key of one user from one Secret");
            final Matcher attach = ATTACH.matcher(script);
            String policy = null;
            while (attach.find()) {
                if (attach.group(2).equals(add.group(1))) {
                    policy = attach.group(1);
                }
            }
            userSecretToPolicy.put(secret, Objects.requireNonNull(policy, "a policy for " + add.group(1)));
        }
        assertEquals(Map.of("rtdw-minio-lake-sink", "rtdw-lake-sink", "rtdw-minio-pinot", "rtdw-pinot"),
                userSecretToPolicy, overlay);
        assertEquals("minio-policy-lake-sink.json", policies.get("rtdw-lake-sink"));
        assertEquals("minio-policy-pinot.json", policies.get("rtdw-pinot"));

        final Container sink = Overlays.get(overlay, Deployment.class, "lake-sink").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertEquals("rtdw-minio-lake-sink", secretOf(sink, "S3_ACCESS_KEY"));
        assertEquals("rtdw-minio-lake-sink", secretOf(sink, "S3_SECRET_KEY"));
        for (final String pinot : List.of("pinot-controller", "pinot-server")) {
            final Container c = Overlays.get(overlay, StatefulSet.class, pinot).getSpec().getTemplate().getSpec()
                    .getContainers().get(0);
            assertEquals("rtdw-minio-pinot", secretOf(c, "AWS_ACCESS_KEY_ID"), pinot);
            assertEquals("rtdw-minio-pinot", secretOf(c, "AWS_SECRET_ACCESS_KEY"), pinot);
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void thePostgresCaptureLogsInAsTheRoleTheSetupJobMakes(final String overlay) throws IOException {
        final Path sql = Overlays.moduleDir().resolve("../cdc-sources/src/main/resources/sql");
        final String roleSql = Files.readString(sql.resolve("003_cdc_role.sql"));
        final Matcher created = Pattern.compile("CREATE ROLE (\\w+)").matcher(roleSql);
        assertTrue(created.find(), "003_cdc_role.sql creates a role");

        final Container cdc = Overlays.get(overlay, Deployment.class, "cdc-postgres").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertEquals(created.group(1), Resources.envValue(cdc, "PG_USER"), "the capture is the least-privilege role");
        assertTrue(Resources.env(cdc, "RTDW_PG_INIT_SCHEMA").map(e -> "false".equals(e.getValue())).orElse(true),
                "the capture does not apply DDL: the setup Job does, as the owner");

        final Job job = Overlays.get(overlay, Job.class, "postgres-cdc-setup");
        final Container psql = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(secretOf(cdc, "PG_PASSWORD"), secretOf(psql, "CDC_PASSWORD"), "one password, one Secret");
        final String script = String.join("\n", psql.getCommand());
        assertTrue(script.contains("ALTER ROLE " + created.group(1) + " PASSWORD :'pw'"), script);

        final ConfigMap files = Overlays.get(overlay, ConfigMap.class, "postgres-cdc-sql");
        final List<String> onDisk;
        try (Stream<Path> list = Files.list(sql)) {
            onDisk = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted().toList();
        }
        assertEquals(onDisk, files.getData().keySet().stream().sorted().toList(), "the ConfigMap holds every SQL file");
        for (final String f : onDisk) {
            assertEquals(Files.readString(sql.resolve(f)), files.getData().get(f), "ConfigMap equals " + f);
        }
        assertEquals(onDisk.stream().map(f -> "-f /sql/" + f).collect(Collectors.joining(" ")),
                Pattern.compile("-f /sql/\\S+").matcher(script).results().map(java.util.regex.MatchResult::group)
                        .collect(Collectors.joining(" ")), "the Job runs every file, in order");
    }

    @Test
    void thePatternsMatchWhatTheyAreMeantTo() {
        assertTrue(USER_ADD.matcher("mc admin user add lake \"$A\" \"$B\"").find());
        assertTrue(ATTACH.matcher("mc admin policy attach lake p --user \"$A\" || true").find());
        assertTrue(CREATE_POLICY.matcher("mc admin policy create lake p /policies/f.json").find());
    }
}
