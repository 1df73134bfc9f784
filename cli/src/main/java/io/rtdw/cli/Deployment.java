package io.rtdw.cli;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.Setting;
import io.rtdw.serde.RegistrySerdes;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * What {@code tail} and {@code dlq} reach, from the environment through the declared settings: the topic catalog
 * ({@code RTDW_TOPIC_PREFIX} ...), Kafka ({@code KAFKA_BOOTSTRAP_SERVERS} and every {@code KAFKA_*} client setting,
 * so a TLS/SASL cluster too) and the registry ({@code RTDW_REGISTRY_URL}).
 */
record Deployment(TopicCatalog catalog, KafkaClients clients, RegistrySerdes serdes) {

    /** Every variable {@link #fromEnv} reads. */
    static final List<Setting<?>> SETTINGS = Setting.concat(TopicCatalog.SETTINGS, KafkaClients.SETTINGS,
            RegistrySerdes.SETTINGS);

    /** Reads the deployment from {@code environment}; a {@link io.rtdw.runtime.ConfigException} lists every problem. */
    static Deployment fromEnv(final Map<String, String> environment) {
        return Env.read(environment, env -> new Deployment(TopicCatalog.fromEnv(env), KafkaClients.fromEnv(env),
                RegistrySerdes.fromEnv(env)));
    }

    /** {@link #fromEnv}, or null after reporting the problems as {@code command}'s usage error on {@code err}. */
    static Deployment fromEnv(final String command, final Map<String, String> environment, final PrintStream err) {
        try {
            return fromEnv(environment);
        } catch (final ConfigException e) {
            Help.usageError(command, e.getMessage(), err);
            return null;
        }
    }
}
