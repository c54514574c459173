"""Checking the workflow configuration against config/schema.yaml before anything runs."""

from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    """The configuration breaks the schema: the message names the key and the problem."""


def _key(path):
    return ".".join(str(part) for part in path) or "(top level)"


def _describe(error):
    key = list(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return (
            f"config key {_key(key + extra[:1])}: unknown key "
            f"(allowed under {_key(key)}: {', '.join(allowed)})"
        )
    if error.validator == "type":
        return (
            f"config key {_key(key)}: {error.instance!r} is of type "
            f"{type(error.instance).__name__}, expected {error.validator_value}"
        )
    return f"config key {_key(key)}: {error.message}"


def load_schema(schema_path):
    """The shared schema with every study's section (``schema/<study>.yaml`` beside it) merged in
    under the study's name; the studies ``studies`` may name are those files."""
    schema_path = Path(schema_path)
    schema = yaml.safe_load(schema_path.read_text())
    studies = sorted(p.stem for p in (schema_path.parent / "schema").glob("*.yaml"))
    for study in studies:
        schema["properties"][study] = yaml.safe_load(
            (schema_path.parent / "schema" / f"{study}.yaml").read_text())
    schema["properties"]["studies"]["items"] = {"enum": studies}
    return schema


def validate_config(config, schema_path):
    """Raise ConfigError naming every offending key; return the config unchanged if it is valid."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("\n".join(_describe(e) for e in errors))
    return config
