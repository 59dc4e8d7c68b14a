package io.sluice.crd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tests' entry to the CRD validator, which lives in the product as {@link io.sluice.sandbox.CrdSchemaValidator}
 * (the sandbox API validates custom resources with it): it reads a CRD file.
 */
public final class CrdSchemaValidator {
    private final io.sluice.sandbox.CrdSchemaValidator validator;

    /** The schema of the CRD's first version (Sluice's CRDs have one). */
    public CrdSchemaValidator(Path crdFile) throws IOException {
        this.validator = new io.sluice.sandbox.CrdSchemaValidator(crdFile);
    }

    /** The schema of the CRD's version named {@code versionName}, e.g. {@code v1}. */
    public CrdSchemaValidator(Path crdFile, String versionName) throws IOException {
        this.validator = new io.sluice.sandbox.CrdSchemaValidator(crdFile, versionName);
    }

    /** Every CEL rule in the schema. */
    public List<io.sluice.sandbox.CrdSchemaValidator.Rule> rules() {
        return validator.rules();
    }

    /** Violations of the object (defaults applied first), as "path: message"; empty when valid. */
    public List<String> validate(Map<String, Object> object) {
        return validator.validate(object);
    }
}
