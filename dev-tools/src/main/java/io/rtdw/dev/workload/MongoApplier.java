package io.rtdw.dev.workload;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.rtdw.cdc.mongodb.Reactive;
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.VehicleDoc;
import io.rtdw.testing.WorkloadGenerator;
import org.bson.Document;

import java.time.Duration;
import java.util.Date;
import java.util.concurrent.TimeUnit;

/**
 * Applies vehicle changes to MongoDB with the reactive driver: insertOne, updateOne ($set), replaceOne, deleteOne.
 * Every call has a timeout. Customer and flight changes are ignored (they belong to PostgreSQL).
 */
public final class MongoApplier implements WorkloadGenerator.Applier {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final MongoClient client;
    private final MongoCollection<Document> vehicles;

    public MongoApplier(final String uri, final String database) {
        client = MongoClients.create(MongoClientSettings.builder().applyConnectionString(new ConnectionString(uri))
                .applyToClusterSettings(b -> b.serverSelectionTimeout(10, TimeUnit.SECONDS))
                .applyToSocketSettings(b -> b.connectTimeout(10, TimeUnit.SECONDS).readTimeout(10, TimeUnit.SECONDS))
                .build());
        vehicles = client.getDatabase(database).getCollection("vehicle");
    }

    /** The collection written to (tests read it back). */
    public MongoCollection<Document> collection() {
        return vehicles;
    }

    /** The document a vehicle is stored as: fields exactly as in the source collection. */
    public static Document document(final VehicleDoc v) {
        return new Document("_id", v.id()).append("customer_id", v.customerId()).append("ano_modelo", v.anoModelo())
                .append("modelo", v.modelo()).append("fabricante", v.fabricante()).append("ano_veiculo", v.anoVeiculo())
                .append("categoria", v.categoria()).append("dt_update", Date.from(v.dtUpdate()));
    }

    @Override
    public void apply(final Change change) {
        switch (change.kind()) {
            case VEHICLE_INSERT -> Reactive.first(vehicles.insertOne(document(change.vehicle())), TIMEOUT);
            case VEHICLE_UPDATE -> {
                final VehicleDoc v = change.vehicle();
                Reactive.first(vehicles.updateOne(Filters.eq("_id", v.id()), Updates.combine(
                        Updates.set("customer_id", v.customerId()), Updates.set("modelo", v.modelo()),
                        Updates.set("dt_update", Date.from(v.dtUpdate())))), TIMEOUT);
            }
            case VEHICLE_REPLACE -> Reactive.first(vehicles.replaceOne(Filters.eq("_id", change.vehicle().id()),
                    document(change.vehicle())), TIMEOUT);
            case VEHICLE_DELETE -> Reactive.first(vehicles.deleteOne(Filters.eq("_id", change.vehicleBefore().id())),
                    TIMEOUT);
            default -> {
                // customers and flights go to PostgreSQL
            }
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
