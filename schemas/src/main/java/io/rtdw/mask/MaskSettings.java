package io.rtdw.mask;

import io.rtdw.runtime.Env;
import io.rtdw.runtime.Setting;

import java.util.List;

/**
 * The masking variables of the services that write analytical copies (the lake sink), declared once; the Pinot
 * decoder reads the same names from Pinot's process environment through {@link FieldMasks#fromEnvironment}.
 */
public final class MaskSettings {

    public static final Setting<String> FIELDS = Setting.string(FieldMasks.FIELDS_VARIABLE, "",
            "personal fields masked in the analytical copies (Parquet, Pinot), comma-separated: 'field' = keyed "
                    + "pseudonym (HMAC-SHA256, 32 hex digits), 'field:redact' = null; fields: "
                    + String.join(", ", FieldMasks.PERSONAL_FIELDS.keySet())
                    + " (birth_date, updated_at: redact only); empty = no masking. The output topic is never masked");
    public static final Setting<String> KEY = Setting.string(FieldMasks.KEY_VARIABLE, "",
            "HMAC key of the pseudonyms (at least " + FieldMasks.MIN_KEY_BYTES + " bytes; from a Kubernetes Secret); "
                    + "the same key gives the same pseudonyms in every copy").secret();
    public static final Setting<String> KEY_FILE = Setting.string(FieldMasks.KEY_FILE_VARIABLE, "",
            "file holding the HMAC key instead of " + FieldMasks.KEY_VARIABLE + " (a mounted Secret)");

    /** Every variable {@link #fromEnv(Env)} reads. */
    public static final List<Setting<?>> SETTINGS = List.of(FIELDS, KEY, KEY_FILE);

    private MaskSettings() {
    }

    /** The masks; a problem (unknown field, missing or short key) is recorded in {@code env}, null returned then. */
    public static FieldMasks fromEnv(final Env env) {
        final String fields = env.get(FIELDS);
        final String key = env.get(KEY);
        final String keyFile = env.get(KEY_FILE);
        try {
            return FieldMasks.configure(fields, key, keyFile);
        } catch (final IllegalArgumentException e) {
            env.check(false, e.getMessage());
            return null;
        }
    }
}
