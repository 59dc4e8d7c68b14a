package io.sluice.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Sluice's own resources (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun) are read
 * leniently: a field this version does not know (a typo a lax API server kept, or a field of a newer
 * Sluice after a rollback of the operator), or a value of the wrong type, is skipped and remembered
 * instead of failing the whole read. A failed read would fail the list or watch it came in, and with
 * it the operator's view of every other resource of that kind.
 *
 * <p>What was skipped is kept per object (kind, namespace, name) for the resourceVersion it was read
 * at, so that the reconciler can report it on the object: the framework hands the reconciler a copy,
 * which has lost the fields already. Copies made from such an object (same resourceVersion, nothing
 * skipped) leave the record alone.
 */
public final class UnknownFields {
    private static final String API_PACKAGE = "io.sluice.api.";
    /** Objects are recorded only while some field of them is skipped; bounded all the same. */
    private static final int MAX_RECORDED = 10_000;
    private static final Map<String, Recorded> RECORDED = new ConcurrentHashMap<>();
    private static final ThreadLocal<Deque<TreeSet<String>>> READING = ThreadLocal.withInitial(ArrayDeque::new);
    private static volatile Consumer<String> log = message -> { };

    private record Recorded(String resourceVersion, List<String> fields) {
    }

    private UnknownFields() {
    }

    /** Makes {@code mapper} read Sluice's resources leniently (see the class comment). */
    public static ObjectMapper tolerate(ObjectMapper mapper) {
        SimpleModule module = new SimpleModule("sluice-unknown-fields");
        module.setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription bean,
                    JsonDeserializer<?> deserializer) {
                return isSluiceResource(bean.getBeanClass()) ? new Recording(deserializer) : deserializer;
            }
        });
        mapper.registerModule(module);
        mapper.addHandler(new Skipping());
        return mapper;
    }

    /** Where a line is written the first time an object is seen with fields skipped (the operator's log). */
    public static void logTo(Consumer<String> sink) {
        log = Objects.requireNonNull(sink);
    }

    /**
     * The fields skipped when {@code resource} was last read at its resourceVersion, as paths
     * ({@code spec.strategy.canary.steps[0].intervall}), sorted; empty when none.
     */
    public static List<String> of(HasMetadata resource) {
        Recorded recorded = RECORDED.get(key(resource));
        return recorded != null && Objects.equals(recorded.resourceVersion(), resource.getMetadata().getResourceVersion())
                ? recorded.fields() : List.of();
    }

    /** Forgets a deleted object. */
    public static void forget(HasMetadata resource) {
        RECORDED.remove(key(resource));
    }

    private static boolean isSluiceResource(Class<?> type) {
        return CustomResource.class.isAssignableFrom(type) && type.getName().startsWith(API_PACKAGE);
    }

    private static String key(HasMetadata resource) {
        return resource.getKind() + "/" + resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
    }

    private static void read(HasMetadata resource, TreeSet<String> skipped) {
        if (resource == null || resource.getMetadata() == null || resource.getMetadata().getName() == null) {
            return;
        }
        String key = key(resource);
        String resourceVersion = resource.getMetadata().getResourceVersion();
        if (skipped.isEmpty()) {
            // A copy of an object read with fields skipped has the same resourceVersion and lost them: keep the record.
            RECORDED.computeIfPresent(key, (k, r) -> Objects.equals(r.resourceVersion(), resourceVersion) ? r : null);
            return;
        }
        List<String> fields = List.copyOf(skipped);
        Recorded before = RECORDED.put(key, new Recorded(resourceVersion, fields));
        if (before == null || !before.fields().equals(fields)) {
            log.accept(resource.getKind() + " " + resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName()
                    + ": ignoring what this version of Sluice cannot read: " + String.join(", ", fields));
        }
        if (RECORDED.size() > MAX_RECORDED) {
            RECORDED.keySet().stream().filter(k -> !k.equals(key)).findAny().ifPresent(RECORDED::remove);
        }
    }

    /** Reads one of Sluice's resources, collecting what {@link Skipping} skips inside it. */
    private static final class Recording extends DelegatingDeserializer {
        Recording(JsonDeserializer<?> delegate) {
            super(delegate);
        }

        @Override
        protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
            return new Recording(newDelegatee);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            Deque<TreeSet<String>> reading = READING.get();
            TreeSet<String> skipped = new TreeSet<>();
            reading.push(skipped);
            Object value;
            try {
                value = super.deserialize(p, ctxt);
            } finally {
                reading.pop();
            }
            if (value instanceof HasMetadata resource) {
                read(resource, skipped);
            }
            return value;
        }
    }

    /** Skips, inside one of Sluice's resources, an unknown field or a value of the wrong type, and notes its path. */
    private static final class Skipping extends DeserializationProblemHandler {
        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
                Object beanOrClass, String propertyName) throws IOException {
            TreeSet<String> skipped = READING.get().peek();
            if (skipped == null) {
                return false;
            }
            skipped.add(path(p.getParsingContext()));
            p.skipChildren();
            return true;
        }

        @Override
        public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t, JsonParser p,
                String failureMsg) throws IOException {
            TreeSet<String> skipped = READING.get().peek();
            String path = path(p.getParsingContext());
            if (skipped == null || targetType.isPrimitive() || isIdentity(path)) {
                return NOT_HANDLED;
            }
            skipped.add(path + " (not " + article(targetType.getRawClass()) + ")");
            p.skipChildren();
            return null;
        }

        @Override
        public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String valueToConvert,
                String failureMsg) throws IOException {
            return weird(ctxt, targetType, '"' + valueToConvert + '"');
        }

        @Override
        public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number valueToConvert,
                String failureMsg) throws IOException {
            return weird(ctxt, targetType, String.valueOf(valueToConvert));
        }

        private static Object weird(DeserializationContext ctxt, Class<?> targetType, String value) {
            TreeSet<String> skipped = READING.get().peek();
            String path = path(ctxt.getParser().getParsingContext());
            if (skipped == null || targetType.isPrimitive() || isIdentity(path)) {
                return NOT_HANDLED;
            }
            skipped.add(path + " (" + value + " is not "
                    + article(targetType) + ")");
            return null;
        }

        /** Metadata, apiVersion and kind are the object's identity: a read that cannot make sense of them fails. */
        private static boolean isIdentity(String path) {
            return path.equals("metadata") || path.startsWith("metadata.") || path.equals("apiVersion") || path.equals("kind");
        }

        private static String article(Class<?> type) {
            if (type.isEnum()) {
                return "one of " + java.util.Arrays.toString(type.getEnumConstants());
            }
            if (Number.class.isAssignableFrom(type)) {
                return "a number";
            }
            if (type == Boolean.class) {
                return "true or false";
            }
            if (type == String.class) {
                return "a string";
            }
            if (List.class.isAssignableFrom(type)) {
                return "a list";
            }
            return "an object";
        }
    }

    /**
     * The path of the value the parser is at, from the resource's top ({@code spec.steps[0].pause}),
     * leaving out a list ({@code items[3]}) or watch event ({@code object}) the resource came in.
     */
    static String path(JsonStreamContext context) {
        java.util.LinkedList<String> parts = new java.util.LinkedList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.addFirst("[" + Math.max(c.getCurrentIndex(), 0) + "]");
            } else if (c.getCurrentName() != null) {
                parts.addFirst("." + c.getCurrentName());
            }
        }
        if (parts.size() > 2 && parts.get(0).equals(".items") && parts.get(1).startsWith("[")) {
            parts.subList(0, 2).clear();
        } else if (parts.size() > 1 && parts.getFirst().equals(".object")) {
            parts.removeFirst();
        }
        String path = String.join("", parts);
        return path.startsWith(".") ? path.substring(1) : path;
    }
}
