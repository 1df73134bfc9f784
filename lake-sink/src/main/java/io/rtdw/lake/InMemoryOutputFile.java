package io.rtdw.lake;

import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

import java.io.ByteArrayOutputStream;

/**
 * A Parquet {@link OutputFile} that collects the file in memory, so that it can be uploaded with one atomic PUT
 * (a partial file never becomes visible in the bucket). Files are bounded by the sink's record limit.
 */
final class InMemoryOutputFile implements OutputFile {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);

    @Override
    public PositionOutputStream create(final long blockSizeHint) {
        return stream();
    }

    @Override
    public PositionOutputStream createOrOverwrite(final long blockSizeHint) {
        bytes.reset();
        return stream();
    }

    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return 0;
    }

    byte[] toByteArray() {
        return bytes.toByteArray();
    }

    private PositionOutputStream stream() {
        return new PositionOutputStream() {
            @Override
            public long getPos() {
                return bytes.size();
            }

            @Override
            public void write(final int b) {
                bytes.write(b);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) {
                bytes.write(b, off, len);
            }
        };
    }
}
