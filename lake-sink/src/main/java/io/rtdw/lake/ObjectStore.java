package io.rtdw.lake;

import java.util.List;

/** The few bucket operations the sink needs. Every {@link #put} is atomic: an object is complete or absent. */
public interface ObjectStore extends AutoCloseable {

    /** Creates the bucket when it does not exist yet. */
    void ensureBucket();

    /** Writes (or replaces) one object. */
    void put(String objectName, byte[] content);

    /** Keys of every object under {@code prefix}, recursively. */
    List<String> list(String prefix);

    @Override
    void close();
}
