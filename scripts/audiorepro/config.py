"""Checking the workflow configuration before anything runs: the schema (config/schema.yaml with
one section per study) and what the schema cannot say, such as whether a local folder exists and
holds the data set."""

import importlib
import math
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import yaml

from .download import TOKEN_VARIABLE, redacted_url, url_credentials

# What each study's `source` needs beyond the schema, which every study shares. ``kinds``: the
# source kinds its raw rule handles (default: synthetic, local, url). ``local``: what
# `source.kind: local` must point at: a tuple is the data set's own layout (a trailing "/" marks a
# folder), held by local_path or any folder below it; "folder" is a folder with at least one audio
# file somewhere inside (the default); "file or folder" also takes a single file, as the raw rule
# of such a study does.
DEFAULT_KINDS = ("synthetic", "local", "url")


class ConfigError(ValueError):
    """The configuration cannot work: the message names the key and the problem, one line each."""


def _key(path):
    return ".".join(str(part) for part in path) or "(top level)"


# what no path or URL of the configuration may hold: characters that break the report's HTML
# (< > " '), a shell command line (quotes, backquote) or Snakemake's wildcards ({ }), and control
# characters (newline, tab, ...), which break log lines and file listings
UNSAFE = re.compile(r"[<>\"'{}`\x00-\x1f\x7f-\x9f\u2028\u2029]")
UNSAFE_HELP = ("characters that break the report's HTML, shell commands or Snakemake's wildcards "
               "(< > \" ' { } ` and control characters such as newline or tab)")


def unsafe_characters(text):
    """The characters of ``text`` that :data:`UNSAFE` forbids, each shown once (control
    characters escaped, as \\n), in one string; "" if there are none."""
    return _listed(UNSAFE.findall(text))


def _listed(characters):
    """Characters for a message, each once, sorted, control characters escaped (as \\n)."""
    return " ".join(c if c.isprintable() else c.encode("unicode_escape").decode()
                    for c in sorted(set(characters)))


def _path_keyword(validator, value, instance, schema):
    """``x-path: true``: the string is a file or folder name; it may not hold :data:`UNSAFE`."""
    if value and isinstance(instance, str) and unsafe_characters(instance):
        yield jsonschema.ValidationError(
            f"holds {unsafe_characters(instance)}: {UNSAFE_HELP} are refused in paths; rename "
            "the file or folder, or choose another")


def _url_keyword(validator, value, instance, schema):
    """``x-url: true``: an http(s) address; it may not carry credentials nor :data:`UNSAFE`."""
    if not value or not isinstance(instance, str):
        return
    if url_credentials(instance):
        yield jsonschema.ValidationError(
            f"{redacted_url(instance)} carries credentials ({', '.join(url_credentials(instance))}"
            "), which would be stored in .snakemake/ and the logs; give the URL without them and "
            f"put the login in ~/.netrc (machine {urlsplit(instance).hostname} login ... password "
            "...; the download reads it) or a bearer token in the environment variable "
            f"{TOKEN_VARIABLE}")
    elif unsafe_characters(instance):
        yield jsonschema.ValidationError(
            f"holds {unsafe_characters(instance)}: {UNSAFE_HELP} are refused in URLs; "
            "percent-encode them (%3C for <, %7B for {, ...)")


Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"x-path": _path_keyword, "x-url": _url_keyword})


_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", re.IGNORECASE)


def _yaml_number(number):
    return ".nan" if math.isnan(number) else ".inf" if number > 0 else "-.inf"


def nonfinite_keys(config, path=()):
    """(key path, value) of every number in ``config`` that is NaN or infinite, at any depth."""
    if isinstance(config, float) and not math.isfinite(config):
        return [(path, config)]
    if isinstance(config, dict):
        return [found for key, value in config.items()
                for found in nonfinite_keys(value, path + (key,))]
    if isinstance(config, list):
        return [found for index, value in enumerate(config)
                for found in nonfinite_keys(value, path + (index,))]
    return []


# what no setting at all may hold (labels, names and kinds reach job parameters, which Snakemake's
# report writes into a <script> block unescaped): markup and control characters
MARKUP = re.compile(r"[<>`\x00-\x1f\x7f-\x9f\u2028\u2029]")


def markup_keys(config, path=()):
    """(key path, characters) of every string in ``config`` holding :data:`MARKUP`, at any depth."""
    if isinstance(config, str):
        found = MARKUP.findall(config)
        return [(path, _listed(found))] if found else []
    if isinstance(config, dict):
        return [hit for key, value in config.items() for hit in markup_keys(value, path + (key,))]
    if isinstance(config, list):
        return [hit for i, value in enumerate(config) for hit in markup_keys(value, path + (i,))]
    return []


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


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's where built: 10x faster


def load_schema(schema_path):
    """The shared schema with every study's section (``schema/<study>.yaml`` beside it) merged in
    under the study's name; the studies ``studies`` may name are those files."""
    schema_path = Path(schema_path)
    read = lambda path: yaml.load(path.read_text(), Loader=_LOADER)  # noqa: E731
    schema = read(schema_path)
    studies = sorted(p.stem for p in (schema_path.parent / "schema").glob("*.yaml"))
    for study in studies:
        schema["properties"][study] = read(schema_path.parent / "schema" / f"{study}.yaml")
    schema["properties"]["studies"]["items"] = {"enum": studies}
    return schema


def _has(folder, member):
    """``member`` is under ``folder``: a folder if it ends in "/", else a file or a folder."""
    path = folder / member.rstrip("/")
    return path.is_dir() if member.endswith("/") else path.exists()


def find_layout(root, layout):
    """The shallowest folder at or below ``root`` holding every path of ``layout`` (a trailing
    "/" marks a folder), or None. Breadth first, so a data set near the top is found without
    listing the (large) folders of clips below it; symbolic links to folders are not followed."""
    level = [Path(root)]
    while level:
        below = []
        for folder in level:
            if all(_has(folder, member) for member in layout):
                return folder
            try:
                with os.scandir(folder) as entries:
                    below += sorted(Path(e.path) for e in entries
                                    if e.is_dir(follow_symlinks=False))
            except OSError:
                continue
        level = below
    return None


# the audio files a local folder of recordings may hold (the raw rules take these suffixes;
# ffmpeg decodes them all). A single local file, or a downloaded one, may have any name: its
# content decides.
AUDIO_SUFFIXES = (".aac", ".aif", ".aifc", ".aiff", ".au", ".caf", ".flac", ".m4a", ".mka",
                  ".mp3", ".mp4", ".oga", ".ogg", ".opus", ".w64", ".wav", ".webm", ".wma", ".wv")


def holds_audio(folder):
    """True as soon as one audio file (by the suffixes the raw rule takes) turns up anywhere
    under ``folder``, links to folders followed (link farms such as a DVC cache), each real
    folder once (a link back up the tree ends the walk there)."""
    suffixes, seen = AUDIO_SUFFIXES, set()
    for top, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        if any(name.lower().endswith(suffixes) for name in files):
            return True
    return False


def _and(items):
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _local_path_problem(path, need):
    """What is wrong with ``path`` as a local source needing ``need`` (see source_specs), or None."""
    path = Path(path)  # as the raw rule reads it: relative to the working directory, no ~
    if not path.exists():
        return f"{path} does not exist"
    if path.is_file():
        return None if need == "file or folder" else f"{path} is a file; it must be a folder"
    if isinstance(need, tuple):
        if find_layout(path, need) is None:
            return (f"{path} holds no folder with {_and(need)} (looked in it and every folder "
                    "below it)")
        return None
    if not holds_audio(path):
        return f"{path} holds no audio file ({', '.join(AUDIO_SUFFIXES)})"
    return None


def source_specs(schema):
    """Each study's ``x-source`` in its schema file: the source kinds its raw rule handles
    (``kinds``) and what a local source must hold (``local``: paths of its layout, "file or
    folder", or by default a folder with audio files)."""
    return {name: (section.get("x-source") or {})
            for name, section in schema.get("properties", {}).items()
            if isinstance(section, dict)}


def source_problems(config, skip=(), specs=None):
    """One message per problem with the ``source`` of each study in ``config["studies"]`` (but
    those in ``skip``) that the schema cannot catch: a kind the study's raw rule does not handle,
    a kind without its required key, a local path that does not exist or lacks the data. Kaggle
    credentials are checked by the download itself."""
    problems = []
    studies = config.get("studies")
    for study in studies if isinstance(studies, list) else []:
        block = config.get(study)
        source = block.get("source") if isinstance(block, dict) else None
        if study in skip or not isinstance(source, dict):
            continue
        key = f"config key {study}.source"
        spec = (specs or {}).get(study, {})
        kind, kinds = source.get("kind"), tuple(spec.get("kinds", DEFAULT_KINDS))
        if kind not in kinds:
            problems.append(f"{key}.kind: {kind!r} is not a source of {study} "
                            f"(it takes {', '.join(kinds)})")
        elif kind == "local":
            path = source.get("local_path")
            if not path or not isinstance(path, str):
                problems.append(f"{key}.local_path: is not set; it must name the folder that "
                                "holds the data (source.kind is local)")
            else:
                need = spec.get("local", "folder")
                problem = _local_path_problem(path, tuple(need) if isinstance(need, list) else need)
                if problem:
                    problems.append(f"{key}.local_path: {problem}")
        elif kind == "url" and not source.get("urls"):
            problems.append(f"{key}.urls: must list at least one {{url, sha256}} entry "
                            "(source.kind is url)")
        elif kind == "kaggle" and not source.get("kaggle"):
            problems.append(f"{key}.kaggle: must name the Kaggle dataset (owner/name) or "
                            "competition (source.kind is kaggle)")
    return problems


def setting_problems(config, skip=()):
    """One message per setting that the schema accepts but that can only fail inside a job (a
    reversed range, shares that do not add to 1, more units shown than a network has): each
    study in ``config["studies"]`` (but those in ``skip``) may say so in
    ``audiorepro/<study>/checks.py`` (``problems(section, config) -> [message, ...]``: its
    section, and the whole configuration for the top-level keys)."""
    out = []
    for study in config.get("studies") or []:
        if study in skip or not isinstance(config.get(study), dict):
            continue
        try:
            checks = importlib.import_module(f"audiorepro.{study}.checks")
        except ModuleNotFoundError as err:
            if err.name != f"audiorepro.{study}.checks":
                raise
            continue
        out += checks.problems(config[study], config)
    return out


def validate_config(config, schema_path):
    """Raise ConfigError naming every offending key, one line each; return the config unchanged
    if it is valid. Every number must be finite (no .nan, .inf, at any depth); keys the schema
    marks ``x-path`` (files and folders) may not hold :data:`UNSAFE` characters, nor ``x-url``
    keys credentials (shown as *** in the message). The studies' sources
    (:func:`source_problems`) and the settings that can only fail later
    (:func:`setting_problems`) are checked too, except in sections the schema or the finite
    check already found fault with."""
    schema = load_schema(schema_path)
    nonfinite = nonfinite_keys(config)
    nonfinite_paths = {path for path, _ in nonfinite}
    errors = sorted((e for e in Validator(schema).iter_errors(config)
                     if tuple(e.absolute_path) not in nonfinite_paths),
                    key=lambda e: list(e.absolute_path))
    reported = {tuple(e.absolute_path) for e in errors}
    markup = [(path, chars) for path, chars in markup_keys(config) if path not in reported]
    faulty = {e.absolute_path[0] for e in errors
              if len(e.absolute_path) > 1 and e.absolute_path[1] == "source"}
    invalid = {e.absolute_path[0] for e in errors if e.absolute_path} | {
        path[0] for path, _ in nonfinite + markup if path}
    problems = ([f"config key {_key(path)}: {_yaml_number(value)} is not a finite number; every "
                 "number in the configuration must be finite" for path, value in nonfinite]
                + [_describe(e) for e in errors]
                + [f"config key {_key(path)}: holds {chars}: markup and control characters are "
                   "refused in every setting (they would reach the report and the logs as they "
                   "are)" for path, chars in markup]
                + source_problems(config, skip=faulty, specs=source_specs(schema))
                + setting_problems(config, skip=invalid))
    if problems:  # a message that quotes a URL (a type error, say) shows it without secrets
        raise ConfigError("\n".join(_URL.sub(lambda m: redacted_url(m.group()), p)
                                    for p in problems))
    return config
