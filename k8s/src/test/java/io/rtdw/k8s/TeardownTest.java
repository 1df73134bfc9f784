package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * teardown.sh: its dry run against the built overlays (every namespaced object deleted exactly once, nothing that is
 * not in the overlay, writers before readers, topics before Kafka, no claim without {@code --delete-data}), and, with a
 * recording stand-in for kubectl, that an unconfirmed {@code --delete-data} deletes nothing at all.
 */
class TeardownTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;
    private static final Path SCRIPT = Overlays.moduleDir().resolve("teardown.sh");

    private record Run(int status, String out) {
    }

    private static Run run(final Map<String, String> env, final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().put("KUBECTL", Kubectl.binary().toString());
        pb.environment().putAll(env);
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "teardown.sh did not finish: " + out);
        return new Run(p.exitValue(), out);
    }

    /** The {@code kind/name} words of each "kubectl -n NS delete ..." line, in order, one list per step. */
    private static List<List<String>> deletions(final String out) {
        final List<List<String>> steps = new ArrayList<>();
        for (final String line : out.split("\n")) {
            // the first word is the kubectl the script runs ($KUBECTL)
            if (line.matches("\\S*kubectl -n rtdw delete .*")) {
                steps.add(RunbookCommands.positional(List.of(line.split(" "))).stream().skip(1).toList());
            }
        }
        return steps;
    }

    private static int step(final List<List<String>> steps, final String ref) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).contains(ref)) {
                return i;
            }
        }
        throw new AssertionError(ref + " is deleted by no step: " + steps);
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void dryRunDeletesEveryObjectOfTheOverlayOnceInOrderAndKeepsTheClaims(final String overlay) throws Exception {
        final Run run = run(Map.of(), "--overlay", overlay, "--dry-run");
        assertEquals(0, run.status(), run.out());
        final List<List<String>> steps = deletions(run.out());
        final Map<String, Integer> deleted = new HashMap<>();
        steps.forEach(s -> s.forEach(ref -> deleted.merge(ref, 1, Integer::sum)));
        final Map<String, Integer> expected = new HashMap<>();
        for (final HasMetadata o : Overlays.objects(overlay)) {
            if (!(o instanceof Namespace || o instanceof PersistentVolumeClaim)) {
                expected.put(o.getKind().toLowerCase(Locale.ROOT) + "/" + o.getMetadata().getName(), 1);
            }
        }
        assertEquals(expected, deleted, "each object of the overlay but the namespace and the claims, deleted once:\n" + run.out());
        assertFalse(run.out().contains("pvc") || run.out().contains("persistentvolumeclaim/"),
                "claims deleted without --delete-data:\n" + run.out());
        assertFalse(run.out().contains("namespace/"), run.out());

        // writers stop before the readers, the readers before Kafka, the topics while the Topic Operator still runs
        assertTrue(step(steps, "deployment/cdc-postgres") < step(steps, "statefulset/streams-app"));
        assertTrue(step(steps, "statefulset/streams-app") < step(steps, "kafka/rtdw"));
        assertTrue(step(steps, "deployment/lake-sink") < step(steps, "statefulset/minio"));
        assertTrue(step(steps, "kafkatopic/rtdw.public.customers") < step(steps, "kafka/rtdw"));
        assertTrue(step(steps, "deployment/apicurio-registry") < step(steps, "kafkatopic/kafkasql-journal"));
        assertTrue(step(steps, "kafka/rtdw") < step(steps, "statefulset/postgres"));
        // without --delete-data the topics are unmanaged before their KafkaTopics go: Kafka keeps them
        final List<String> annotate = run.out().lines().filter(l -> l.matches("\\S*kubectl -n rtdw annotate .*")).toList();
        assertEquals(1, annotate.size(), run.out());
        final List<String> annotated = RunbookCommands.positional(List.of(annotate.get(0).split(" "))).stream()
                .filter(w -> w.startsWith("kafkatopic/")).toList();
        assertEquals(expected.keySet().stream().filter(r -> r.startsWith("kafkatopic/")).sorted().toList(),
                annotated.stream().sorted().toList());
        assertTrue(annotate.get(0).endsWith(" strimzi.io/managed=false --overwrite"), annotate.get(0));
        final String topicDeletion = run.out().lines()
                .filter(l -> l.matches("\\S*kubectl -n rtdw delete kafkatopic/.*")).findFirst().orElseThrow();
        assertTrue(run.out().indexOf(annotate.get(0)) < run.out().indexOf(topicDeletion),
                "annotated after the deletion:\n" + run.out());
        for (final String line : run.out().split("\n")) {
            if (line.matches("\\S*kubectl -n rtdw delete .*")) {
                assertTrue(line.contains("--cascade=foreground") && line.contains("--wait=true"),
                        "a step that does not wait for what it deletes: " + line);
            }
        }
    }

    @Test
    void deleteDataDeletesTheClaimsLastAndOnlyWhenConfirmed(@org.junit.jupiter.api.io.TempDir final Path dir)
            throws Exception {
        final Run confirmed = run(Map.of(), "--overlay", "dev", "--dry-run", "--delete-data", "--confirm", "rtdw");
        assertEquals(0, confirmed.status(), confirmed.out());
        final List<String> lines = confirmed.out().lines().filter(l -> l.matches("\\S*kubectl .*")).toList();
        assertTrue(lines.get(lines.size() - 1).endsWith("kubectl -n rtdw delete pvc --all --wait=true --timeout=600s"),
                confirmed.out());
        assertEquals(1, lines.stream().filter(l -> l.contains(" pvc ")).count(), confirmed.out());
        assertFalse(confirmed.out().contains(" annotate "), "with --delete-data the topics go with their KafkaTopics");

        final Run wrong = run(Map.of(), "--overlay", "dev", "--dry-run", "--delete-data", "--confirm", "default");
        assertEquals(2, wrong.status(), wrong.out());

        // Not a dry run, no confirmation, no terminal: refused before any deletion (a recording kubectl stand-in).
        final Path log = dir.resolve("calls.txt");
        final Path fake = dir.resolve("kubectl");
        Files.writeString(fake, "#!/usr/bin/env bash\necho \"$*\" >> '" + log + "'\n"
                + "if [ \"$1\" = kustomize ]; then exec '" + Kubectl.binary() + "' \"$@\"; fi\n");
        assertTrue(fake.toFile().setExecutable(true));
        final Run refused = run(Map.of("KUBECTL", fake.toString()), "--overlay", "dev", "--delete-data");
        assertEquals(2, refused.status(), refused.out());
        assertTrue(refused.out().contains("nothing deleted"), refused.out());
        final List<String> calls = Files.readAllLines(log);
        assertEquals(1, calls.size(), "only the overlay build may run: " + calls);
        assertTrue(calls.get(0).startsWith("kustomize "), calls.toString());

        // The same stand-in, confirmed and not a dry run: the deletions really run, the claims last.
        Files.delete(log);
        final Run real = run(Map.of("KUBECTL", fake.toString()), "--overlay", "dev", "--delete-data", "--confirm", "rtdw");
        assertEquals(0, real.status(), real.out());
        final List<String> made = Files.readAllLines(log);
        assertEquals("-n rtdw delete pvc --all --wait=true --timeout=600s", made.get(made.size() - 1));
        assertEquals(9, made.size(), "kustomize, the 7 steps, the claims: " + made);
    }
}
