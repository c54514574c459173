"""Hostile configuration values refused at start-up, naming the key: paths with characters that
break HTML, shell or wildcards, numbers that are not finite, URLs that carry credentials."""

import copy

import pytest
import yaml

from audiorepro.config import ConfigError, validate_config
from conftest import ROOT, TINY, run_snakemake

SCHEMA = ROOT / "config" / "schema.yaml"
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
SHA = "0" * 64


def refused(config):
    """The lines of the ConfigError ``config`` raises."""
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    return str(err.value).splitlines()


def with_value(key, value):
    """The default configuration with the dotted ``key`` set to ``value`` (a local source where
    the key is a local_path, a url source with one entry where it is under urls)."""
    config = copy.deepcopy(DEFAULT)
    parts = key.split(".")
    if parts[1:2] == ["source"]:
        config["studies"] = [parts[0]]
        kind = "local" if parts[2] == "local_path" else "url"
        config[parts[0]]["source"].update(
            kind=kind, urls=[{"url": "https://example.org/a.wav", "sha256": SHA}])
    node = config
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value
    return config


# --- paths -----------------------------------------------------------------------------------------

PATH_KEYS = ["results", "resources", "catsdogs.source.local_path", "sorting.source.local_path",
             "orcas.annotations.path", "continuation.source.urls.0.name"]
# each character class: HTML, quotes (HTML and shell), wildcards, shell, control characters
HOSTILE = {"<": "</script><img src=x onerror=alert(1)>", ">": "a>b", '"': 'say "hi"',
           "'": "it's", "{": "out{x", "}": "out}", "`": "a`id`", "\\n": "two\nlines",
           "\\t": "tab\there", "\\x1b": "esc\x1b[31m", "\\x00": "nul\x00"}


@pytest.mark.parametrize("key,shown", [(PATH_KEYS[i % len(PATH_KEYS)], shown)  # every key
                                       for i, shown in enumerate(HOSTILE)])  # every character
def test_a_path_with_characters_that_break_html_shell_or_wildcards_is_refused(key, shown):
    lines = refused(with_value(key, f"data/{HOSTILE[shown]}.wav"))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"config key {key}: holds ")
    assert shown in lines[0].split(": ")[1].split()  # the character, escaped if a control one
    assert "are refused in paths" in lines[0]


def test_a_kaggle_name_is_a_kaggle_slug():
    config = with_value("catsdogs.source.kaggle", "owner/<img src=x onerror=alert(1)>")
    config["catsdogs"]["source"]["kind"] = "kaggle"
    assert refused(config)[0].startswith("config key catsdogs.source.kaggle: 'owner/<img ")


def test_ordinary_path_characters_pass(tmp_path):
    folder = tmp_path / "my recordings (été 2024) & more $HOME #1"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.wav").write_bytes(b"")
    config = with_value("sorting.source.local_path", str(folder))
    config["results"] = "results [run 2]/été"
    assert validate_config(config, SCHEMA) is config


@pytest.mark.workflow  # starts Snakemake (a plan or lint: seconds)
def test_a_hostile_results_folder_and_a_secret_url_stop_snakemake_at_start_up(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({
        "results": "out{x}",
        "continuation": {"source": {"kind": "url", "urls": [
            {"url": "https://reader:hunter2@example.org/a.wav?token=s3cr3t", "sha256": SHA}]}}}))
    proc = run_snakemake(tmp_path, "-n", configfiles=[TINY, mine], check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ConfigError" in output and "WildcardError" not in output
    assert "config key results: holds { }: " in output
    assert ("config key continuation.source.urls.0.url: https://***@example.org/a.wav?token=*** "
            "carries credentials") in output
    # the secret is nowhere: not in the output, not in anything Snakemake wrote
    assert "hunter2" not in output and "s3cr3t" not in output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != mine]
    assert not [p for p in written if b"hunter2" in p.read_bytes() or b"s3cr3t" in p.read_bytes()]


# --- numbers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key,text,shown", [
    ("catsdogs.training.learning_rate", ".nan", ".nan"),
    ("continuation.training.learning_rate", ".inf", ".inf"),
    ("sorting.grid.0.sample_length.1", ".inf", ".inf"),
    ("whales.sweep.alexnet.0", "-.inf", "-.inf"),
    ("continuation.drift.percentiles.0", ".NaN", ".nan"),
    ("orcas.evaluation.threshold", ".nan", ".nan"),
    ("whales.training.epochs", ".inf", ".inf"),  # an integer key: one line, not two
])
def test_a_number_that_is_not_finite_is_refused_at_any_depth(key, text, shown):
    value = yaml.safe_load(text)  # as YAML reads it from a config file
    lines = refused(with_value(key, value))
    assert lines == [f"config key {key}: {shown} is not a finite number; every number in the "
                     "configuration must be finite"]


# --- URLs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url,shown,what", [
    ("https://reader:hunter2@example.org/a.wav", "https://***@example.org/a.wav",
     "user name, password"),
    ("https://ghp_s3cr3t@example.org/a.wav", "https://***@example.org/a.wav", "user name"),
    ("https://example.org/a.wav?token=s3cr3t", "https://example.org/a.wav?token=***",
     "query parameter token"),
    ("https://b.s3.amazonaws.com/a.wav?X-Amz-Credential=AKIAs3cr3t&X-Amz-Signature=s3cr3t&x=1",
     "https://b.s3.amazonaws.com/a.wav?X-Amz-Credential=***&X-Amz-Signature=***&x=1",
     "query parameter X-Amz-Credential, query parameter X-Amz-Signature"),
    ("https://a.blob.core.windows.net/c/a.wav?sv=2020&sig=s3cr3t",
     "https://a.blob.core.windows.net/c/a.wav?sv=2020&sig=***", "query parameter sig"),
    ("https://example.org/a.wav?api_key=s3cr3t&access_token=s3cr3t",
     "https://example.org/a.wav?api_key=***&access_token=***",
     "query parameter api_key, query parameter access_token"),
])
def test_a_url_carrying_credentials_is_refused_without_echoing_them(url, shown, what):
    lines = refused(with_value("orcas.source.urls.0.url", url))
    assert lines == [
        f"config key orcas.source.urls.0.url: {shown} carries credentials ({what}), which would "
        "be stored in .snakemake/ and the logs; give the URL without them and put the login in "
        f"~/.netrc (machine {shown.split('/')[2].split('@')[-1]} login ... password ...; the "
        "download reads it) or a bearer token in the environment variable "
        "AUDIOREPRO_DOWNLOAD_TOKEN"]
    assert "s3cr3t" not in lines[0] and "hunter2" not in lines[0]


def test_a_secret_in_a_url_is_hidden_in_every_message_and_clean_urls_pass():
    config = with_value("orcas.source.urls", "https://reader:hunter2@example.org/a.wav")
    assert refused(config) == ["config key orcas.source.urls: 'https://***@example.org/a.wav' is "
                               "of type str, expected array"]
    config = with_value("orcas.source.urls.0.url", "ftp://reader:hunter2@example.org/a.wav")
    assert "hunter2" not in "".join(refused(config))
    config = with_value("orcas.source.urls.0.url", "https://example.org/a<b>.wav")
    assert refused(config)[0].startswith("config key orcas.source.urls.0.url: holds < >: ")
    for clean in ("https://zenodo.org/records/1/files/a%20b.wav?download=1",
                  "http://127.0.0.1:8080/tape.mp3"):
        config = with_value("orcas.source.urls.0.url", clean)
        assert validate_config(config, SCHEMA) is config


@pytest.mark.parametrize("key,value", [
    ("orcas.annotations.whistle_labels", ["whistle", "</script><img src=x onerror=alert(1)>"]),
    ("orcas.annotations.label_column", "Type`id`"),
    ("orcas.annotations.speech_labels", ["voice\nover"])])
def test_markup_in_any_setting_is_refused_since_job_parameters_reach_the_report(key, value):
    lines = refused(with_value(key, value))
    assert len(lines) == 1 and lines[0].startswith(f"config key {key}")
    assert "refused in every setting" in lines[0]


def test_a_folder_of_links_to_folders_is_a_local_source_and_a_link_loop_ends(tmp_path):
    """A link farm (a DVC cache: the data folder holds only links to folders elsewhere) passes
    the start-up check; a link back up the tree is walked once."""
    store, farm = tmp_path / "cache" / "ab", tmp_path / "farm"
    store.mkdir(parents=True)
    (store / "song.wav").write_bytes(b"RIFF")
    farm.mkdir()
    (farm / "loop").symlink_to(farm)
    config = with_value("sorting.source.local_path", str(farm))
    assert any("holds no audio file" in line for line in refused(config))
    (farm / "songs").symlink_to(store)
    assert validate_config(config, SCHEMA) is config
