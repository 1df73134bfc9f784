package io.rtdw.serde;

import io.apicurio.registry.resolver.client.RegistryArtifactReference;
import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.client.RegistryVersionCoordinates;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process stand-in for an Apicurio Registry server, used by tests and the embedded local stack (the
 * Apicurio server cannot run on the project's build machines).
 *
 * <p>Ids are content-addressed: a schema's id is its Avro parsing fingerprint folded to 31 bits, so every JVM
 * that knows a schema gives it the same id. That lets the CDC process, the streams app, the lake sink and the
 * Pinot decoder each run their own embedded registry and still read each other's records. Every schema in
 * {@link KnownSchemas} is preloaded; schemas registered at run time are added.
 */
public final class EmbeddedRegistryClient implements RegistryClientFacade {

    private static final String DEFAULT_GROUP = "default";

    private final Map<Long, String> contentById = new ConcurrentHashMap<>();
    private final Map<String, Long> idByGav = new ConcurrentHashMap<>();

    /** A registry that already holds every schema of this build. */
    public EmbeddedRegistryClient() {
        this(KnownSchemas.ALL);
    }

    public EmbeddedRegistryClient(final Collection<Schema> preload) {
        preload.forEach(schema -> register(schema.toString()));
    }

    /** The id any embedded registry gives this schema. */
    public static long idOf(final Schema schema) {
        final long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        return (fingerprint ^ (fingerprint >>> 32)) & 0x7fffffffL;
    }

    private long register(final String content) {
        final long id = idOf(new Schema.Parser().parse(content));
        final String previous = contentById.putIfAbsent(id, content);
        if (previous != null && !SchemaNormalization.toParsingForm(new Schema.Parser().parse(previous))
                .equals(SchemaNormalization.toParsingForm(new Schema.Parser().parse(content)))) {
            throw new IllegalStateException("schema id collision on " + id);
        }
        return id;
    }

    private static String gav(final String group, final String artifact, final String version) {
        return (group == null ? DEFAULT_GROUP : group) + "/" + artifact + "/" + version;
    }

    private String contentOrFail(final long id) {
        final String content = contentById.get(id);
        if (content == null) {
            throw new IllegalArgumentException("no schema with id " + id + " in the embedded registry");
        }
        return content;
    }

    @Override
    public String getSchemaByContentId(final Long contentId) {
        return contentOrFail(contentId);
    }

    @Override
    public String getSchemaByGlobalId(final long globalId, final boolean dereferenced) {
        return contentOrFail(globalId);
    }

    @Override
    public String getSchemaByGAV(final String groupId, final String artifactId, final String version) {
        final Long id = idByGav.get(gav(groupId, artifactId, version));
        if (id == null) {
            throw new IllegalArgumentException("no schema " + gav(groupId, artifactId, version));
        }
        return contentOrFail(id);
    }

    @Override
    public String getSchemaByContentHash(final String contentHash) {
        throw new UnsupportedOperationException("content hashes are not used by the embedded registry");
    }

    @Override
    public List<RegistryArtifactReference> getReferencesByContentId(final long contentId) {
        return List.of();
    }

    @Override
    public List<RegistryArtifactReference> getReferencesByGlobalId(final long globalId) {
        return List.of();
    }

    @Override
    public List<RegistryArtifactReference> getReferencesByGAV(final String groupId, final String artifactId,
                                                              final String version) {
        return List.of();
    }

    @Override
    public List<RegistryArtifactReference> getReferencesByContentHash(final String contentHash) {
        return List.of();
    }

    @Override
    public List<RegistryVersionCoordinates> searchVersionsByContent(final String content, final String artifactType,
                                                                    final ArtifactReference reference,
                                                                    final boolean canonical) {
        final long id = idOf(new Schema.Parser().parse(content));
        if (!contentById.containsKey(id)) {
            return List.of();
        }
        return List.of(RegistryVersionCoordinates.create(id, id, reference.getGroupId(), reference.getArtifactId(),
                String.valueOf(id)));
    }

    @Override
    public RegistryVersionCoordinates createSchema(final String artifactType, final String groupId,
                                                   final String artifactId, final String version,
                                                   final String autoCreateBehavior, final boolean canonical,
                                                   final String content,
                                                   final Set<RegistryArtifactReference> references) {
        final long id = register(content);
        final String v = version == null ? String.valueOf(id) : version;
        idByGav.put(gav(groupId, artifactId, v), id);
        idByGav.put(gav(groupId, artifactId, "latest"), id);
        return RegistryVersionCoordinates.create(id, id, groupId, artifactId, v);
    }

    @Override
    public RegistryVersionCoordinates getVersionCoordinatesByGAV(final String groupId, final String artifactId,
                                                                 final String version) {
        final Long id = idByGav.get(gav(groupId, artifactId, version == null ? "latest" : version));
        if (id == null) {
            throw new IllegalArgumentException("no schema " + gav(groupId, artifactId, version));
        }
        return RegistryVersionCoordinates.create(id, id, groupId, artifactId, version);
    }

    @Override
    public Object getClient() {
        return this;
    }
}
