package io.rtdw.lake;

import io.rtdw.testing.ChildJvm;

import java.nio.file.Path;
import java.util.Map;

/** The lake sink as its container runs it: {@link LakeSinkMain} in its own JVM, without Hadoop on the class path. */
final class SinkJvm {

    private SinkJvm() {
    }

    /** Starts the sink with {@code env} (plus this JVM's environment), output appended to {@code log}. */
    static ChildJvm start(final String name, final Map<String, String> env, final Path log) {
        return ChildJvm.java(name, LakeSinkMain.class.getName()).heapMb(256)
                .jvmArgs("-XX:+UseSerialGC")
                // provided-scope Hadoop is on test class paths only: the sink must run without it
                .classpath(ChildJvm.classPathWithout("/org/apache/hadoop/"))
                .env(env).log(log).start();
    }
}
