package io.rtdw.cli.reconcile;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.ReadConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCursor;
import org.bson.Document;

import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads every document of the {@code vehicle} collection with one query (majority read concern, batches of 10,000),
 * with a timeout on connecting, on server selection, on every socket read and on the query itself.
 */
final class MongoSource {

    private MongoSource() {
    }

    static void read(final String uri, final String database, final Duration timeout, final SourceState into) {
        final int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        final MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(uri))
                .applyToClusterSettings(b -> b.serverSelectionTimeout(ms, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(b -> b.connectTimeout(ms, TimeUnit.MILLISECONDS)
                        .readTimeout(ms, TimeUnit.MILLISECONDS))
                .readConcern(ReadConcern.MAJORITY)
                .build();
        try (MongoClient client = MongoClients.create(settings);
             MongoCursor<Document> cursor = client.getDatabase(database).getCollection("vehicle").find()
                     .batchSize(10_000).maxTime(ms, TimeUnit.MILLISECONDS).iterator()) {
            while (cursor.hasNext()) {
                final Document d = cursor.next();
                final Map<String, String> f = new HashMap<>(8);
                f.put("model_year", Values.text(d.get("ano_modelo")));
                f.put("model", Values.text(d.get("modelo")));
                f.put("maker", Values.text(d.get("fabricante")));
                f.put("vehicle_year", Values.text(d.get("ano_veiculo")));
                f.put("category", Values.text(d.get("categoria")));
                final Object updated = d.get("dt_update");
                f.put("updated_at", updated instanceof Date date ? Values.epochMillis(date.getTime())
                        : Values.text(updated));
                into.vehicle(((Number) d.get("_id")).intValue(), ((Number) d.get("customer_id")).intValue(), f);
            }
        }
        into.vehicleOrigin("MongoDB " + database + ".vehicle");
    }
}
