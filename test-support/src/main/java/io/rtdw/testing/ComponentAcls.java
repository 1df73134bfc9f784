package io.rtdw.testing;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.List;

/**
 * The Kafka ACLs of each component: the least each needs, and the one list the secured pipeline test grants (root
 * README, "Security", has the same table for the Strimzi {@code KafkaUser} objects). Topic names come from the
 * {@link TopicCatalog}. Nobody but the admin may create topics, change their configuration or manage ACLs; the
 * streams app's own internal topics (prefix {@code <application id>-}) are the one exception Kafka Streams needs.
 *
 * <p>No cluster-level grant is needed: an idempotent producer with WRITE on a topic may ask for a producer id
 * (KIP-679), and none of the components creates topics outside its own prefix.
 */
public final class ComponentAcls {

    private ComponentAcls() {
    }

    /**
     * The streams app: reads the CDC topics, writes the output and its dead letters, runs the consumer group
     * {@code applicationId}, uses transactional ids and creates, reads and writes internal topics (changelogs) that
     * start with {@code applicationId-}.
     */
    public static List<AclBinding> streamsApp(final String user, final TopicCatalog catalog, final String applicationId) {
        final List<AclBinding> acls = new ArrayList<>();
        for (final Topic<?, ?> in : List.of(catalog.customers(), catalog.flights(), catalog.vehicles())) {
            acls.add(allow(user, ResourceType.TOPIC, in.name(), PatternType.LITERAL, AclOperation.READ));
        }
        acls.add(allow(user, ResourceType.TOPIC, catalog.unifiedCustomers().name(), PatternType.LITERAL,
                AclOperation.WRITE));
        acls.add(allow(user, ResourceType.TOPIC, catalog.streamsDeadLetters().name(), PatternType.LITERAL,
                AclOperation.WRITE));
        acls.add(allow(user, ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ));
        final String prefix = applicationId + "-";
        for (final AclOperation op : List.of(AclOperation.WRITE, AclOperation.DESCRIBE)) {
            acls.add(allow(user, ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, op));
        }
        for (final AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE,
                AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)) {
            acls.add(allow(user, ResourceType.TOPIC, prefix, PatternType.PREFIXED, op));
        }
        return acls;
    }

    /**
     * The PostgreSQL capture: writes (and, to reconcile a snapshot, reads back) the customers and flight topics, its
     * Debezium offsets and heartbeats, and its dead letters. No consumer group: its consumers assign partitions.
     */
    public static List<AclBinding> postgresCapture(final String user, final TopicCatalog catalog) {
        final List<AclBinding> acls = new ArrayList<>();
        for (final Topic<?, ?> out : List.of(catalog.customers(), catalog.flights())) {
            acls.add(allow(user, ResourceType.TOPIC, out.name(), PatternType.LITERAL, AclOperation.WRITE));
            acls.add(allow(user, ResourceType.TOPIC, out.name(), PatternType.LITERAL, AclOperation.READ));
        }
        // Kafka Connect's offset store reads the topic back at start and checks it is compacted (a check it skips
        // silently without DescribeConfigs). Its attempt to create the topic is refused and ignored (TopicAdmin).
        for (final AclOperation op : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE_CONFIGS)) {
            acls.add(allow(user, ResourceType.TOPIC, catalog.cdcOffsets().name(), PatternType.LITERAL, op));
        }
        acls.add(allow(user, ResourceType.TOPIC, catalog.cdcHeartbeats().name(), PatternType.LITERAL,
                AclOperation.WRITE));
        acls.add(allow(user, ResourceType.TOPIC, catalog.cdcDeadLetters().name(), PatternType.LITERAL,
                AclOperation.WRITE));
        return acls;
    }

    /** The lake sink: reads the output in its consumer group {@code groupId}, writes its dead letters. */
    public static List<AclBinding> lakeSink(final String user, final TopicCatalog catalog, final String groupId) {
        return List.of(
                allow(user, ResourceType.TOPIC, catalog.unifiedCustomers().name(), PatternType.LITERAL,
                        AclOperation.READ),
                allow(user, ResourceType.GROUP, groupId, PatternType.LITERAL, AclOperation.READ),
                allow(user, ResourceType.TOPIC, catalog.lakeSinkDeadLetters().name(), PatternType.LITERAL,
                        AclOperation.WRITE));
    }

    private static AclBinding allow(final String user, final ResourceType type, final String name,
                                    final PatternType pattern, final AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
    }
}
