package io.sluice.analysis;

import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.sluice.api.v1alpha1.AnalysisPhase;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Judges a measured value by a metric's successCondition and failureCondition, CEL expressions over
 * {@code result}: a double, or a list of doubles for a multi-series result ({@code result.all(x, x < 0.01)}).
 * Ints and doubles compare with each other ({@code result < 300}), and the math extension gives
 * {@code math.greatest(result)} and friends.
 *
 * <p>Outcomes: failure met → Failed (even if success is met too: a breach wins); success met →
 * Successful; both set and neither met → Inconclusive; only success set and not met → Failed; only
 * failure set and not met → Successful. A condition that does not compile, fails to evaluate or does
 * not return a bool → Error, with the reason.
 *
 * <p>Each expression is compiled once and kept in a bounded LRU cache shared by all analyses (the
 * same few expressions recur across many Rollouts); safe for concurrent use.
 */
public final class ConditionEvaluator {
    /** Distinct expressions kept compiled; a CEL program of a 1 KiB expression is a few KiB. */
    public static final int DEFAULT_CAPACITY = 512;
    // Bounds the work of a comprehension over a large multi-series result.
    private static final int MAX_ITERATIONS = 100_000;
    private static final CelOptions OPTIONS = CelOptions.current()
            .enableHeterogeneousNumericComparisons(true)
            .comprehensionMaxIterations(MAX_ITERATIONS)
            .build();
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addLibraries(CelExtensions.math(OPTIONS))
            // dyn: one compiled program serves a single number and a multi-series list alike
            .addVar("result", SimpleType.DYN)
            .setResultType(SimpleType.BOOL)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(OPTIONS)
            .addLibraries(CelExtensions.math(OPTIONS))
            .build();

    /** A judgement of one value: the measurement's phase and why. */
    public record Verdict(AnalysisPhase phase, String message) {
    }

    private final Map<String, Compiled> cache;

    public ConditionEvaluator() {
        this(DEFAULT_CAPACITY);
    }

    public ConditionEvaluator(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * Judges {@code value} (a {@link QueryValue.Single} or {@link QueryValue.Series}; no data is the
     * no-data policy's business, not a condition's).
     *
     * @param successCondition null or blank when the metric has none
     * @param failureCondition null or blank when the metric has none
     */
    public Verdict evaluate(String successCondition, String failureCondition, QueryValue value) {
        Object result = switch (value) {
            case QueryValue.Single single -> single.value();
            case QueryValue.Series series -> series.values();
            case QueryValue.NoData noData -> throw new IllegalArgumentException("no data is not judged by conditions");
        };
        boolean hasSuccess = successCondition != null && !successCondition.isBlank();
        boolean hasFailure = failureCondition != null && !failureCondition.isBlank();
        if (!hasSuccess && !hasFailure) {
            return new Verdict(AnalysisPhase.Error, "the metric has neither a successCondition nor a failureCondition");
        }
        Outcome failure = hasFailure ? test("failureCondition", failureCondition, result, value) : null;
        if (failure instanceof Outcome.Broken broken) {
            return new Verdict(AnalysisPhase.Error, broken.reason());
        }
        if (failure == Outcome.Met.TRUE) {
            return new Verdict(AnalysisPhase.Failed, "met failureCondition `" + failureCondition + "`");
        }
        Outcome success = hasSuccess ? test("successCondition", successCondition, result, value) : null;
        if (success instanceof Outcome.Broken broken) {
            return new Verdict(AnalysisPhase.Error, broken.reason());
        }
        if (success == Outcome.Met.TRUE) {
            return new Verdict(AnalysisPhase.Successful, "met `" + successCondition + "`");
        }
        if (hasSuccess && hasFailure) {
            return new Verdict(AnalysisPhase.Inconclusive,
                    "met neither `" + successCondition + "` nor failureCondition `" + failureCondition + "`");
        }
        return hasSuccess
                ? new Verdict(AnalysisPhase.Failed, "breached `" + successCondition + "`")
                : new Verdict(AnalysisPhase.Successful, "stayed clear of failureCondition `" + failureCondition + "`");
    }

    /** Compiled expressions in the cache now (for tests of the bound). */
    int cachedExpressions() {
        synchronized (cache) {
            return cache.size();
        }
    }

    private Outcome test(String field, String expression, Object result, QueryValue value) {
        Compiled compiled;
        synchronized (cache) {
            compiled = cache.computeIfAbsent(expression, ConditionEvaluator::compile);
        }
        if (compiled instanceof Compiled.Invalid invalid) {
            return new Outcome.Broken(field + " `" + expression + "` does not compile: " + invalid.reason());
        }
        try {
            Object answer = ((Compiled.Program) compiled).program().eval(Map.of("result", result));
            if (answer instanceof Boolean met) {
                return met ? Outcome.Met.TRUE : Outcome.Met.FALSE;
            }
            return new Outcome.Broken(field + " `" + expression + "` returned " + answer + ", not true or false");
        } catch (CelEvaluationException e) {
            String hint = value instanceof QueryValue.Series series
                    ? " (result is a list of " + series.seriesCount() + " numbers, one per series: "
                    + "use e.g. result.all(x, x < 0.01) or math.greatest(result))"
                    : "";
            return new Outcome.Broken(field + " `" + expression + "` failed on " + value.shortText() + ": "
                    + e.getMessage() + hint);
        }
    }

    private static Compiled compile(String expression) {
        try {
            return new Compiled.Program(RUNTIME.createProgram(COMPILER.compile(expression).getAst()));
        } catch (CelValidationException e) {
            return new Compiled.Invalid(oneLine(e.getMessage()));
        } catch (CelEvaluationException e) {
            return new Compiled.Invalid("cannot be planned: " + oneLine(e.getMessage()));
        }
    }

    /** CEL's issues without the source excerpt and caret lines, so a message fits a status field. */
    private static String oneLine(String celMessage) {
        return celMessage.lines()
                .filter(line -> !line.startsWith(" |"))
                .map(line -> line.replace("ERROR: <input>:", "at "))
                .collect(Collectors.joining("; "));
    }

    /** A cached compilation, failures included so a broken expression is not compiled again and again. */
    private sealed interface Compiled {
        record Program(CelRuntime.Program program) implements Compiled {
        }

        record Invalid(String reason) implements Compiled {
        }
    }

    private sealed interface Outcome {
        enum Met implements Outcome { TRUE, FALSE }

        record Broken(String reason) implements Outcome {
        }
    }
}
