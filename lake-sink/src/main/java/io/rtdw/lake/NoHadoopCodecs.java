package io.rtdw.lake;

import com.github.luben.zstd.Zstd;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Parquet page compression without Hadoop on the class path.
 *
 * <p>parquet-hadoop's default {@code CodecFactory} loads Hadoop's codec classes even for UNCOMPRESSED, so a
 * Hadoop-free writer needs its own factory. SNAPPY and ZSTD come with the parquet jars (snappy-java, zstd-jni).
 * Only compression is used by the sink; decompression is here for completeness of the interface.
 */
public final class NoHadoopCodecs implements CompressionCodecFactory {

    /** zstd level 3: zstd's own default, a good ratio at writer speed. */
    private static final int ZSTD_LEVEL = 3;

    @Override
    public BytesInputCompressor getCompressor(final CompressionCodecName codec) {
        requireSupported(codec);
        return new BytesInputCompressor() {
            @Override
            public BytesInput compress(final BytesInput bytes) throws IOException {
                return switch (codec) {
                    case UNCOMPRESSED -> bytes;
                    case SNAPPY -> BytesInput.from(Snappy.compress(bytes.toByteArray()));
                    case ZSTD -> BytesInput.from(Zstd.compress(bytes.toByteArray(), ZSTD_LEVEL));
                    default -> throw new IllegalStateException("unreachable: " + codec);
                };
            }

            @Override
            public CompressionCodecName getCodecName() {
                return codec;
            }

            @Override
            public void release() {
                // stateless
            }
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(final CompressionCodecName codec) {
        requireSupported(codec);
        return new BytesInputDecompressor() {
            @Override
            public BytesInput decompress(final BytesInput bytes, final int uncompressedSize) throws IOException {
                return switch (codec) {
                    case UNCOMPRESSED -> bytes;
                    case SNAPPY -> BytesInput.from(Snappy.uncompress(bytes.toByteArray()));
                    case ZSTD -> BytesInput.from(Zstd.decompress(bytes.toByteArray(), uncompressedSize));
                    default -> throw new IllegalStateException("unreachable: " + codec);
                };
            }

            @Override
            public void decompress(final ByteBuffer input, final int compressedSize, final ByteBuffer output,
                                   final int uncompressedSize) throws IOException {
                final byte[] in = new byte[compressedSize];
                input.get(in);
                output.put(decompress(BytesInput.from(in), uncompressedSize).toByteArray());
            }

            @Override
            public void release() {
                // stateless
            }
        };
    }

    @Override
    public void release() {
        // stateless
    }

    /** Fails fast (at configuration time) for codecs this factory cannot produce. */
    public static CompressionCodecName requireSupported(final CompressionCodecName codec) {
        return switch (codec) {
            case UNCOMPRESSED, SNAPPY, ZSTD -> codec;
            default -> throw new IllegalArgumentException("compression " + codec
                    + " is not supported without Hadoop; use UNCOMPRESSED, SNAPPY or ZSTD");
        };
    }
}
