package io.sluice.demo.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.demo.prometheus.QueryResult.Sample;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueryResultTest {

    @Test
    void aVectorBecomesLabelledSamples() {
        QueryResult result = QueryResult.parse("""
                {"status":"success","data":{"resultType":"vector","result":[
                  {"metric":{"job":"backends","code":"200"},"value":[1700000000.123,"42"]},
                  {"metric":{"job":"backends","code":"500"},"value":[1700000000.123,"0.25"]}]}}
                """);

        assertThat(result.resultType()).isEqualTo("vector");
        assertThat(result.samples()).containsExactly(
                new Sample(Map.of("job", "backends", "code", "200"), 42),
                new Sample(Map.of("job", "backends", "code", "500"), 0.25));
    }

    @Test
    void specialValuesAreReadAsGoWritesThem() {
        assertThat(QueryResult.parseValue("NaN")).isNaN();
        assertThat(QueryResult.parseValue("+Inf")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(QueryResult.parseValue("-Inf")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(QueryResult.parseValue("1e-05")).isEqualTo(0.00001);
    }

    @Test
    void aScalarIsOneSampleWithoutLabels() {
        QueryResult result = QueryResult.parse("""
                {"status":"success","data":{"resultType":"scalar","result":[1700000000,"NaN"]}}""");

        assertThat(result.singleValue().orElseThrow()).isNaN();
        assertThat(result.samples()).singleElement().extracting(Sample::labels).isEqualTo(Map.of());
    }

    @Test
    void noSampleMeansNoValueAndSeveralAreRefused() {
        QueryResult none = QueryResult.parse("""
                {"status":"success","data":{"resultType":"vector","result":[]}}""");
        QueryResult two = QueryResult.parse("""
                {"status":"success","data":{"resultType":"vector","result":[
                  {"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}""");

        assertThat(none.singleValue()).isEmpty();
        assertThatThrownBy(two::singleValue).hasMessageContaining("expected at most one sample, got 2");
    }

    @Test
    void anErrorAnswerCarriesPrometheusMessage() {
        assertThatThrownBy(() -> QueryResult.parse("""
                {"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}"""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Prometheus rejected the query: bad_data: 1:5: parse error: unexpected end of input");
    }
}
