package io.sluice.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class JsonMergePatchTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The examples of RFC 7386, appendix A. */
    @ParameterizedTest(name = "{0} + {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            {"a":"b"}             | {"a":"c"}                   | {"a":"c"}
            {"a":"b"}             | {"b":"c"}                   | {"a":"b","b":"c"}
            {"a":"b"}             | {"a":null}                  | {}
            {"a":"b","b":"c"}     | {"a":null}                  | {"b":"c"}
            {"a":["b"]}           | {"a":"c"}                   | {"a":"c"}
            {"a":"c"}             | {"a":["b"]}                 | {"a":["b"]}
            {"a":{"b":"c"}}       | {"a":{"b":"d","c":null}}    | {"a":{"b":"d"}}
            {"a":[{"b":"c"}]}     | {"a":[1]}                   | {"a":[1]}
            ["a","b"]             | ["c","d"]                   | ["c","d"]
            {"a":"b"}             | ["c"]                       | ["c"]
            {"a":"foo"}           | null                        | null
            {"a":"foo"}           | "bar"                       | "bar"
            {"e":null}            | {"a":1}                     | {"e":null,"a":1}
            [1,2]                 | {"a":"b","c":null}          | {"a":"b"}
            {}                    | {"a":{"bb":{"ccc":null}}}   | {"a":{"bb":{}}}
            """)
    void followsTheRfcExamples(String target, String patch, String expected) throws Exception {
        assertThat(JsonMergePatch.apply(JSON.readTree(target), JSON.readTree(patch)))
                .isEqualTo(JSON.readTree(expected));
    }

    @Test
    void leavesItsArgumentsUnchanged() throws Exception {
        JsonNode target = JSON.readTree("{\"a\":{\"b\":[1,2]},\"c\":1}");
        JsonNode patch = JSON.readTree("{\"a\":{\"b\":[3],\"d\":{\"e\":1}},\"c\":null}");

        JsonNode merged = JsonMergePatch.apply(target, patch);
        ((ObjectNode) merged.get("a").get("d")).put("e", 2);

        assertThat(target).isEqualTo(JSON.readTree("{\"a\":{\"b\":[1,2]},\"c\":1}"));
        assertThat(patch).isEqualTo(JSON.readTree("{\"a\":{\"b\":[3],\"d\":{\"e\":1}},\"c\":null}"));
    }
}
