package io.rtdw.lake;

import java.util.List;

/** The few bucket operations the sink needs. Every {@link #put} is atomic: an object is complete or absent. */
public interface ObjectStore extends AutoCloseable {

    /** Creates the bucket when it does not exist yet. */
    void ensureBucket();

    /** Writes (or replaces) one object. */
    void put(String objectName, byte[] content);

    /** Uploads a local file as one object (multipart for big files; still all-or-nothing). */
    void put(String objectName, java.nio.file.Path file);

    /** Deletes an object; no error when it does not exist. */
    void delete(String objectName);

    /** Keys of every object under {@code prefix}, recursively. */
    List<String> list(String prefix);

    @Override
    void close();
}
