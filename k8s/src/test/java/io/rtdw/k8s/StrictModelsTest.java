package io.rtdw.k8s;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strict parser catches what a lenient YAML load would let through: misspelt fields, wrong types, unknown kinds. */
class StrictModelsTest {

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: x
            spec:
              replicas: %s
              selector:
                matchLabels: {app: x}
              template:
                metadata:
                  labels: {app: x}
                spec:
                  %s:
                    - name: x
                      image: example/x:1.0
            """;

    @Test
    void acceptsAValidDeployment() {
        assertEquals(1, StrictModels.parse(DEPLOYMENT.formatted("2", "containers")).size());
    }

    @Test
    void rejectsAMisspeltField() {
        final AssertionError error = assertThrows(AssertionError.class,
                () -> StrictModels.parse(DEPLOYMENT.formatted("2", "containerz")));
        assertTrue(error.getMessage().contains("spec.template.spec: [containerz]"), error.getMessage());
    }

    @Test
    void rejectsAWrongType() {
        assertThrows(RuntimeException.class, () -> StrictModels.parse(DEPLOYMENT.formatted("two", "containers")));
    }

    @Test
    void rejectsAnUnknownFieldInAStrimziResource() {
        final AssertionError error = assertThrows(AssertionError.class, () -> StrictModels.parse("""
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaTopic
                metadata:
                  name: t
                spec:
                  partitions: 3
                  replica: 3
                """));
        assertTrue(error.getMessage().contains("spec: [replica]"), error.getMessage());
    }

    @Test
    void rejectsAnUnknownFieldDeepInTheKafkaResource() {
        final AssertionError error = assertThrows(AssertionError.class, () -> StrictModels.parse("""
                apiVersion: kafka.strimzi.io/v1
                kind: Kafka
                metadata:
                  name: k
                spec:
                  kafka:
                    listeners:
                      - {name: plain, port: 9092, type: internal, tls: false, networkPolicyPeer: []}
                """));
        assertTrue(error.getMessage().contains("networkPolicyPeer"), error.getMessage());
    }

    @Test
    void rejectsAKindWithoutAModel() {
        final AssertionError error = assertThrows(AssertionError.class, () -> StrictModels.parse("""
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaConect
                metadata:
                  name: c
                """));
        assertTrue(error.getMessage().contains("no typed model"), error.getMessage());
    }

    /** Placement rules live in Strimzi's pod template as fabric8 types: a misspelt rule there is caught too. */
    @Test
    void rejectsAMisspeltPlacementRuleInANodePoolTemplate() {
        final String pool = """
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaNodePool
                metadata:
                  name: brokers
                spec:
                  replicas: 3
                  roles: [broker]
                  storage: {type: ephemeral}
                  template:
                    pod:
                      affinity:
                        podAntiAffinity:
                          %s:
                            - topologyKey: kubernetes.io/hostname
                              labelSelector: {matchLabels: {strimzi.io/pool-name: brokers}}
                      topologySpreadConstraints:
                        - {topologyKey: topology.kubernetes.io/zone, maxSkew: 1, %s: DoNotSchedule}
                """;
        assertEquals(1, StrictModels.parse(pool.formatted("requiredDuringSchedulingIgnoredDuringExecution",
                "whenUnsatisfiable")).size());
        final AssertionError affinity = assertThrows(AssertionError.class, () -> StrictModels.parse(pool.formatted(
                "requiredDuringScheduling", "whenUnsatisfiable")));
        assertTrue(affinity.getMessage().contains("podAntiAffinity: [requiredDuringScheduling]"), affinity.getMessage());
        final AssertionError spread = assertThrows(AssertionError.class, () -> StrictModels.parse(pool.formatted(
                "requiredDuringSchedulingIgnoredDuringExecution", "whenUnsatisfied")));
        assertTrue(spread.getMessage().contains("[whenUnsatisfied]"), spread.getMessage());
    }

    @Test
    void skipsCommentOnlyDocuments() {
        assertEquals(1, StrictModels.parse("# just a comment\n---\n" + DEPLOYMENT.formatted("1", "containers")).size());
    }
}
