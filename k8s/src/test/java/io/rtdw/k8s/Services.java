package io.rtdw.k8s;

import io.rtdw.cdc.CdcMain;
import io.rtdw.lake.LakeSinkMain;
import io.rtdw.runtime.Service;
import io.rtdw.streams.StreamsApp;

import java.util.List;
import java.util.Map;

/** The project's services as they declare themselves, and the container of each in the manifests. */
final class Services {

    /** Every service, in README order. */
    static final List<Service> ALL = List.of(StreamsApp.SERVICE, CdcMain.SERVICE, LakeSinkMain.SERVICE);

    /** Container name in the manifests -> the service it runs. */
    static final Map<String, Service> BY_CONTAINER = Map.of(
            "streams-app", StreamsApp.SERVICE,
            "cdc", CdcMain.SERVICE,
            "lake-sink", LakeSinkMain.SERVICE);

    private Services() {
    }
}
