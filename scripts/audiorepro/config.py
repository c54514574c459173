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


def validate_config(config, schema_path):
    """Raise ConfigError naming every offending key; return the config unchanged if it is valid."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("\n".join(_describe(e) for e in errors))
    return config
