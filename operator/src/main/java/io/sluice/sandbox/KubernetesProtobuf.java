package io.sluice.sandbox;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the protobuf request bodies ({@code application/vnd.kubernetes.protobuf}) that kubectl's typed
 * commands send, for the kinds they create: {@code kubectl create namespace}, {@code create secret},
 * {@code create configmap}, {@code create serviceaccount}. kubectl sends those as protobuf and does not
 * fall back to JSON when a server refuses protobuf (415), so without this the sandbox could not serve them.
 * <p>
 * The envelope is the API server's: the bytes {@code k8s\0}, then a {@code runtime.Unknown} message
 * (typeMeta = 1, raw = 2) whose {@code raw} is the object. Only the fields of those kinds that kubectl
 * sets, and the common ObjectMeta ones, are decoded (from Kubernetes' {@code generated.proto}); others
 * are skipped. Empty strings and zeros, which Go writes for unset fields, are left out, as its JSON would. Any other kind is {@link Optional#empty() refused}.
 */
final class KubernetesProtobuf {

    private static final byte[] MAGIC = {'k', '8', 's', 0};

    private enum Type { STRING, BYTES, INT64, BOOL, TIME, MAP_STRING, MAP_BYTES, REPEATED_STRING, MESSAGE }

    private record Field(String name, Type type, Map<Integer, Field> message) {
        Field(String name, Type type) {
            this(name, type, null);
        }
    }

    private static final Map<Integer, Field> OBJECT_META = Map.ofEntries(
            Map.entry(1, new Field("name", Type.STRING)),
            Map.entry(2, new Field("generateName", Type.STRING)),
            Map.entry(3, new Field("namespace", Type.STRING)),
            Map.entry(5, new Field("uid", Type.STRING)),
            Map.entry(6, new Field("resourceVersion", Type.STRING)),
            Map.entry(7, new Field("generation", Type.INT64)),
            Map.entry(8, new Field("creationTimestamp", Type.TIME)),
            Map.entry(11, new Field("labels", Type.MAP_STRING)),
            Map.entry(12, new Field("annotations", Type.MAP_STRING)),
            Map.entry(14, new Field("finalizers", Type.REPEATED_STRING)));

    private static final Field METADATA = new Field("metadata", Type.MESSAGE, OBJECT_META);

    private static final Map<String, Map<Integer, Field>> KINDS = Map.of(
            "Namespace", Map.of(1, METADATA,
                    2, new Field("spec", Type.MESSAGE, Map.of(1, new Field("finalizers", Type.REPEATED_STRING)))),
            "Secret", Map.of(1, METADATA,
                    2, new Field("data", Type.MAP_BYTES),
                    3, new Field("type", Type.STRING),
                    4, new Field("stringData", Type.MAP_STRING),
                    5, new Field("immutable", Type.BOOL)),
            "ConfigMap", Map.of(1, METADATA,
                    2, new Field("data", Type.MAP_STRING),
                    3, new Field("binaryData", Type.MAP_BYTES),
                    4, new Field("immutable", Type.BOOL)),
            "ServiceAccount", Map.of(1, METADATA,
                    4, new Field("automountServiceAccountToken", Type.BOOL)));

    private KubernetesProtobuf() {
    }

    /** The object as a JSON-ready map, or empty when it is not one of the kinds read here. */
    static Optional<Map<String, Object>> decode(byte[] body) {
        if (body.length < MAGIC.length) {
            return Optional.empty();
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (body[i] != MAGIC[i]) {
                return Optional.empty();
            }
        }
        try {
            Reader unknown = new Reader(body, MAGIC.length, body.length);
            String apiVersion = "";
            String kind = "";
            byte[] raw = null;
            while (unknown.more()) {
                int tag = unknown.varint32();
                if (tag >>> 3 == 1 && (tag & 7) == 2) {
                    Reader typeMeta = unknown.sub();
                    while (typeMeta.more()) {
                        int t = typeMeta.varint32();
                        if (t >>> 3 == 1 && (t & 7) == 2) {
                            apiVersion = typeMeta.string();
                        } else if (t >>> 3 == 2 && (t & 7) == 2) {
                            kind = typeMeta.string();
                        } else {
                            typeMeta.skip(t);
                        }
                    }
                } else if (tag >>> 3 == 2 && (tag & 7) == 2) {
                    raw = unknown.bytes();
                } else {
                    unknown.skip(tag);
                }
            }
            Map<Integer, Field> schema = KINDS.get(kind);
            if (schema == null || raw == null || !apiVersion.equals("v1")) {
                return Optional.empty();
            }
            Map<String, Object> object = new LinkedHashMap<>();
            object.put("apiVersion", apiVersion);
            object.put("kind", kind);
            object.putAll(message(new Reader(raw, 0, raw.length), schema));
            if (kind.equals("Secret")) {
                object.putIfAbsent("type", "Opaque"); // the API server's default
            }
            return Optional.of(object);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Map<String, Object> message(Reader in, Map<Integer, Field> schema) {
        Map<String, Object> out = new LinkedHashMap<>();
        while (in.more()) {
            int tag = in.varint32();
            Field field = schema.get(tag >>> 3);
            if (field == null) {
                in.skip(tag);
                continue;
            }
            switch (field.type()) {
                case STRING -> {
                    String value = in.string();
                    if (!value.isEmpty()) { // Go writes unset strings as empty ones; JSON would omit them
                        out.put(field.name(), value);
                    }
                }
                case BYTES -> out.put(field.name(), Base64.getEncoder().encodeToString(in.bytes()));
                case INT64 -> {
                    long value = in.varint();
                    if (value != 0) {
                        out.put(field.name(), value);
                    }
                }
                case BOOL -> out.put(field.name(), in.varint() != 0);
                case TIME -> {
                    Reader time = in.sub();
                    long seconds = 0;
                    while (time.more()) {
                        int t = time.varint32();
                        if (t >>> 3 == 1 && (t & 7) == 0) {
                            seconds = time.varint();
                        } else {
                            time.skip(t);
                        }
                    }
                    if (seconds != 0) { // an unset Time is written as an empty message
                        out.put(field.name(), Instant.ofEpochSecond(seconds).toString());
                    }
                }
                case MAP_STRING, MAP_BYTES -> {
                    Reader entry = in.sub();
                    String key = "";
                    Object value = "";
                    while (entry.more()) {
                        int t = entry.varint32();
                        if (t >>> 3 == 1 && (t & 7) == 2) {
                            key = entry.string();
                        } else if (t >>> 3 == 2 && (t & 7) == 2) {
                            value = field.type() == Type.MAP_STRING ? entry.string()
                                    : Base64.getEncoder().encodeToString(entry.bytes());
                        } else {
                            entry.skip(t);
                        }
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> map = (Map<String, Object>) out.computeIfAbsent(field.name(), n -> new LinkedHashMap<>());
                    map.put(key, value);
                }
                case REPEATED_STRING -> {
                    @SuppressWarnings("unchecked")
                    List<Object> list = (List<Object>) out.computeIfAbsent(field.name(), n -> new ArrayList<>());
                    list.add(in.string());
                }
                case MESSAGE -> out.put(field.name(), message(in.sub(), field.message()));
            }
        }
        return out;
    }

    /** Protobuf wire format over a byte range. */
    private static final class Reader {
        private final byte[] data;
        private int at;
        private final int end;

        Reader(byte[] data, int from, int end) {
            this.data = data;
            this.at = from;
            this.end = end;
        }

        boolean more() {
            return at < end;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (at >= end) {
                    throw new IllegalArgumentException("truncated varint");
                }
                byte b = data[at++];
                value |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("malformed varint");
        }

        int varint32() {
            return (int) varint();
        }

        byte[] bytes() {
            int length = varint32();
            if (length < 0 || at + length > end) {
                throw new IllegalArgumentException("truncated field");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(length);
            out.write(data, at, length);
            at += length;
            return out.toByteArray();
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        Reader sub() {
            int length = varint32();
            if (length < 0 || at + length > end) {
                throw new IllegalArgumentException("truncated message");
            }
            Reader sub = new Reader(data, at, at + length);
            at += length;
            return sub;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> at += 8;
                case 2 -> {
                    int length = varint32(); // read before at is: at += varint32() would add to the old at
                    at += length;
                }
                case 5 -> at += 4;
                default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
            }
            if (at > end) {
                throw new IllegalArgumentException("truncated field");
            }
        }
    }
}
