package io.rtdw.mask;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Field-level masking of the customer's personal fields in the analytical copies (Parquet in the lake, the rows
 * Pinot ingests). The output topic itself is never masked: it is the system of record the copies are rebuilt from.
 *
 * <p>Two modes per field:
 * <ul>
 *   <li>{@code hmac} (keyed pseudonymisation, text fields only): the value becomes the first {@value #PSEUDONYM_HEX}
 *       hex digits (128 bits) of HMAC-SHA256(key, UTF-8 bytes of the value). Equal values give equal pseudonyms, so
 *       counts, group-bys and joins between the two copies still work; without the key a pseudonym cannot be
 *       reversed, nor checked against a guessed value (unlike a plain hash of a phone number).</li>
 *   <li>{@code redact}: the value becomes null (any personal field; the only mode for {@code birth_date} and
 *       {@code updated_at}, whose columns are not text).</li>
 * </ul>
 * A null value stays null in both modes.
 *
 * <p>Configured by {@value #FIELDS_VARIABLE} (for example {@code email,phone,name,address:redact}: a field alone
 * means {@code hmac}), with the key from {@value #KEY_VARIABLE} or from the file named by
 * {@value #KEY_FILE_VARIABLE} (at least {@value #MIN_KEY_BYTES} bytes; trailing line breaks of the file are
 * ignored). The variables are declared for the services in {@link MaskSettings}.
 *
 * <p>Only the JDK is used: this class also runs inside Pinot's JVM, copied into the Pinot decoder plugin jar.
 * Instances are immutable and thread-safe.
 */
public final class FieldMasks {

    /** Which personal fields are masked, and how. */
    public static final String FIELDS_VARIABLE = "RTDW_MASK_FIELDS";
    /** The HMAC key, as text. */
    public static final String KEY_VARIABLE = "RTDW_MASK_KEY";
    /** A file holding the HMAC key (a mounted Secret); an alternative to {@link #KEY_VARIABLE}. */
    public static final String KEY_FILE_VARIABLE = "RTDW_MASK_KEY_FILE";
    /** The shortest key accepted: as long as the HMAC's output. */
    public static final int MIN_KEY_BYTES = 32;
    /** Length of a pseudonym: 32 hex digits = 128 bits. */
    public static final int PSEUDONYM_HEX = 32;

    /** How one field is masked. */
    public enum Mode {
        /** Keyed pseudonym: HMAC-SHA256, hex, truncated. */
        HMAC,
        /** Null. */
        REDACT;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The customer's personal fields by their output names ({@code UnifiedCustomer}), true for text fields (which may
     * be pseudonymised). {@code customer_id} is not among them (the key of every copy, and the handle of an erasure),
     * nor are {@code flights[]}/{@code vehicles[]} (they name no one; with the customer's own fields masked they
     * belong to a pseudonymous id).
     */
    public static final Map<String, Boolean> PERSONAL_FIELDS = personalFields();

    /** No masking: the copies hold the output topic's values. */
    public static final FieldMasks NONE = new FieldMasks(Map.of(), null);

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final Map<String, Mode> fields;
    private final ThreadLocal<Mac> mac;

    private FieldMasks(final Map<String, Mode> fields, final byte[] key) {
        this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        if (key == null) {
            this.mac = null;
        } else {
            final byte[] copy = key.clone();
            this.mac = ThreadLocal.withInitial(() -> newMac(copy));
        }
    }

    private static Map<String, Boolean> personalFields() {
        final Map<String, Boolean> map = new LinkedHashMap<>();
        for (final String text : new String[] {"name", "gender", "address", "phone", "email", "photo_url",
                "profession"}) {
            map.put(text, true);
        }
        map.put("birth_date", false);
        map.put("updated_at", false);
        return Collections.unmodifiableMap(map);
    }

    /**
     * Masks for {@code fields} with {@code key} (may be null when no field is {@link Mode#HMAC}).
     *
     * @throws IllegalArgumentException for a field that is not personal, {@code hmac} on a field that is not text,
     *                                  or a missing or short key
     */
    public static FieldMasks of(final Map<String, Mode> fields, final byte[] key) {
        boolean needsKey = false;
        for (final Map.Entry<String, Mode> e : fields.entrySet()) {
            final Boolean text = PERSONAL_FIELDS.get(e.getKey());
            if (text == null) {
                throw new IllegalArgumentException(FIELDS_VARIABLE + ": '" + e.getKey() + "' is not a personal field "
                        + "of the unified record; maskable: " + PERSONAL_FIELDS.keySet());
            }
            if (e.getValue() == Mode.HMAC) {
                if (!text) {
                    throw new IllegalArgumentException(FIELDS_VARIABLE + ": '" + e.getKey() + "' is not text and "
                            + "can only be redacted: write " + e.getKey() + ":redact");
                }
                needsKey = true;
            }
        }
        if (needsKey && key == null) {
            throw new IllegalArgumentException(FIELDS_VARIABLE + " pseudonymises some of " + fields.keySet()
                    + " but neither " + KEY_VARIABLE + " nor " + KEY_FILE_VARIABLE + " gives a key");
        }
        if (needsKey && key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the masking key must have at least " + MIN_KEY_BYTES + " bytes, has "
                    + key.length);
        }
        return fields.isEmpty() ? NONE : new FieldMasks(fields, needsKey ? key : null);
    }

    /**
     * Parses a field list: comma-separated {@code field} (= {@code field:hmac}) or {@code field:mode}; blank = none.
     *
     * @throws IllegalArgumentException on an unknown mode, an empty entry or a field named twice
     */
    public static Map<String, Mode> parseFields(final String spec) {
        final Map<String, Mode> out = new LinkedHashMap<>();
        if (spec == null || spec.trim().isEmpty()) {
            return out;
        }
        for (final String item : spec.split(",", -1)) {
            final String entry = item.trim();
            final int colon = entry.indexOf(':');
            final String field = (colon < 0 ? entry : entry.substring(0, colon)).trim();
            final String mode = colon < 0 ? Mode.HMAC.word() : entry.substring(colon + 1).trim();
            if (field.isEmpty()) {
                throw new IllegalArgumentException(FIELDS_VARIABLE + " has an empty entry: '" + spec + "'");
            }
            final Mode parsed = Arrays.stream(Mode.values()).filter(m -> m.word().equalsIgnoreCase(mode)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(FIELDS_VARIABLE + ": unknown mode '" + mode
                            + "' for " + field + " (hmac, redact)"));
            if (out.put(field, parsed) != null) {
                throw new IllegalArgumentException(FIELDS_VARIABLE + " names " + field + " twice");
            }
        }
        return out;
    }

    /**
     * Masks from the three variables' texts (null or empty = unset): the one place that combines them, for the
     * services ({@link MaskSettings}) and for the Pinot decoder.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static FieldMasks configure(final String fieldsText, final String keyText, final String keyFileText) {
        final boolean hasKey = keyText != null && !keyText.isEmpty();
        final boolean hasKeyFile = keyFileText != null && !keyFileText.trim().isEmpty();
        if (hasKey && hasKeyFile) {
            throw new IllegalArgumentException("set " + KEY_VARIABLE + " or " + KEY_FILE_VARIABLE + ", not both");
        }
        final byte[] key;
        if (hasKey) {
            key = keyText.getBytes(StandardCharsets.UTF_8);
        } else if (hasKeyFile) {
            key = readKeyFile(keyFileText.trim());
        } else {
            key = null;
        }
        return of(parseFields(fieldsText), key);
    }

    /** Masks from an environment map holding the three variables (the Pinot decoder reads its process's). */
    public static FieldMasks fromEnvironment(final Map<String, String> environment) {
        return configure(environment.get(FIELDS_VARIABLE), environment.get(KEY_VARIABLE),
                environment.get(KEY_FILE_VARIABLE));
    }

    private static byte[] readKeyFile(final String path) {
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(Paths.get(path));
        } catch (final IOException e) {
            throw new IllegalArgumentException(KEY_FILE_VARIABLE + ": cannot read " + path + " (" + e + ")");
        }
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
            end--;
        }
        return Arrays.copyOf(bytes, end);
    }

    /**
     * The pseudonym of {@code value} under {@code key}: the first {@value #PSEUDONYM_HEX} hex digits of
     * HMAC-SHA256(key, UTF-8 bytes of value). The pure function both copies use; null stays null.
     */
    public static String pseudonym(final byte[] key, final String value) {
        return value == null ? null : hex(newMac(key), value);
    }

    private static String hex(final Mac mac, final String value) {
        final byte[] digest = mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
        final char[] out = new char[PSEUDONYM_HEX];
        for (int i = 0; i < PSEUDONYM_HEX / 2; i++) {
            out[2 * i] = HEX[(digest[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[digest[i] & 0xf];
        }
        return new String(out);
    }

    private static Mac newMac(final byte[] key) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** True when nothing is masked. */
    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /** The masked fields and their modes, in the configured order. */
    public Map<String, Mode> fields() {
        return fields;
    }

    /**
     * {@code value} of {@code field} as the analytical copies hold it: unchanged when the field is not masked, null
     * when redacted or null, else its pseudonym (any {@link CharSequence} is taken as its text).
     */
    public Object apply(final String field, final Object value) {
        final Mode mode = fields.get(field);
        if (mode == null) {
            return value;
        }
        if (mode == Mode.REDACT || value == null) {
            return null;
        }
        return hex(mac.get(), value.toString());
    }

    /** For the start-up line: fields and modes, never the key. */
    @Override
    public String toString() {
        return fields.isEmpty() ? "none" : fields.toString().toLowerCase(Locale.ROOT);
    }
}
