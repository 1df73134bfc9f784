package io.rtdw.serde;

import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.avro.Schema;

import java.util.List;

/** The top-level schemas of every topic, as compiled into this build. */
public final class KnownSchemas {

    /** Every topic-level schema: change records, keys, the unified record, the dead letter. */
    public static final List<Schema> ALL = List.of(
            CustomerChange.getClassSchema(), FlightChange.getClassSchema(), VehicleChange.getClassSchema(),
            CustomerKey.getClassSchema(), FlightKey.getClassSchema(), VehicleKey.getClassSchema(),
            UnifiedCustomer.getClassSchema(), DeadLetter.getClassSchema());

    private KnownSchemas() {
    }
}
