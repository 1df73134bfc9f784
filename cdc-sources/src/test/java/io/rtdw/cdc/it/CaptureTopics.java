package io.rtdw.cdc.it;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.TopicReader;

import java.util.List;

/** The PostgreSQL capture's topics of one catalog, created on the test cluster, with readers of the two data topics. */
final class CaptureTopics implements AutoCloseable {

    final TopicReader<CustomerKey, CustomerChange> customers;
    final TopicReader<FlightKey, FlightChange> flights;

    CaptureTopics(final KafkaTestCluster cluster, final TopicCatalog catalog, final RegistrySerdes serdes) {
        cluster.createTopics(List.of(catalog.customers(), catalog.flights(), catalog.cdcDeadLetters(),
                catalog.cdcOffsets()));
        customers = new TopicReader<>(cluster.bootstrapServers(), catalog.customers(),
                serdes.valueSerde(catalog.customers()).deserializer());
        flights = new TopicReader<>(cluster.bootstrapServers(), catalog.flights(),
                serdes.valueSerde(catalog.flights()).deserializer());
    }

    @Override
    public void close() {
        customers.close();
        flights.close();
    }
}
