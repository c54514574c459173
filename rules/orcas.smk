# orcas: an LSTM that learned to notice orca whistles in raw hydrophone audio (seed 000).
# tapes (mp3) -> 16-kHz mono WAV -> recording-level split -> the LSTM and the baseline, trained
# by truncated BPTT -> every unit's track over the held-out tapes -> figures and unit sounds.
# The whistle units are measured against annotations: the synthetic tapes' ground truth, or
# Raven / Audacity tables (orcas.annotations.path); real recordings without them are scanned
# and drawn all the same, their whistle measures "not measured".
from audiorepro.annotations import table_files
from audiorepro.errors import InputError
from audiorepro.orcas.data import segment_span
from audiorepro.orcas.figures import FIGURES as ORCAS_FIGURES, activation_wav_names

ORCAS = f"{RESULTS}/orcas"
ORCAS_SOUNDS = activation_wav_names(config["orcas"]["evaluation"]["top_units"])
ORCAS_SYNTHETIC = config["orcas"]["source"]["kind"] == "synthetic"
ORCAS_ANNOTATIONS = config["orcas"]["annotations"]
try:  # the tables are inputs, so editing one re-measures; a wrong path stops before any job
    ORCAS_TABLES = (
        [str(p) for p in table_files(ORCAS_ANNOTATIONS["path"], key=None)]
        if ORCAS_ANNOTATIONS["path"] and "orcas" in config["studies"]
        else []
    )
except InputError as err:
    raise ConfigError(
        f"config key orcas.annotations.path: {err.where} {err.problem}"
    ) from None
# what units.json says the measures rest on
ORCAS_ANNOTATED = (
    f"{len(ORCAS_TABLES)} table{'s' if len(ORCAS_TABLES) != 1 else ''}"
    if ORCAS_TABLES
    else "synthetic" if ORCAS_SYNTHETIC else "none"
)
# samples one training segment spans: a shorter recording cannot train
ORCAS_SEGMENT_SECONDS = (
    segment_span(
        config["orcas"]["training"]["segment_seconds"],
        config["orcas"]["audio"]["rate"],
        config["orcas"]["training"]["bptt_steps"],
        config["orcas"]["model"]["window"],
    )
    / config["orcas"]["audio"]["rate"]
)


ORCAS_NETS = config["orcas"]["networks"]  # each trains and scans with each seed
register_study(
    "orcas",
    ground_truth=ORCAS_ANNOTATED != "none",
    coverage=["coverage/convert.json", "coverage/annotations.json"],
)
register_replicates(
    "orcas",
    ORCAS_NETS,
    {
        "best_abs_r": "|r| of the best unit",
        "share_above_threshold": "share of units above the threshold",
        "best_unit_whistle_speech_separation": "whistle / speech separation",
        "loss.final": "final training loss",
    },
    metrics=["units.json"],
)


ORCAS_RAW = raw_step("orcas")
ORCAS_AUDIO = convert_step(
    "orcas", ORCAS_RAW, ORCAS_SEGMENT_SECONDS, "orcas.training.segment_seconds"
).output
ORCAS_ANNOTATED_TABLE = step(
    "orcas_annotations",
    {"table": "annotations.csv", "coverage": "coverage/annotations.json"},
    input={**ORCAS_RAW.output, "table": ORCAS_AUDIO["table"], "tables": ORCAS_TABLES},
    params={
        "annotations": ORCAS_ANNOTATIONS,
        "synthetic": ORCAS_SYNTHETIC,
        "skip_key": "orcas.audio.short_recordings",
    },
).output["table"]
ORCAS_HELD_OUT = {
    "audio": ORCAS_AUDIO["audio"],
    "split": split_step(
        "orcas", {"table": "splits/recordings.csv"}, {"table": ORCAS_AUDIO["table"]}
    ).output["table"],
}
ORCAS_SETTINGS = {
    "rate": config["orcas"]["audio"]["rate"],
    "model": config["orcas"]["model"],
}
ORCAS_NETWORK = {"network": "lstm|baseline"}
ORCAS_TRAIN = model_step(
    "orcas_train",
    "{network}",
    input=ORCAS_HELD_OUT,
    params={**ORCAS_SETTINGS, "training": seeded("orcas")},
    constraints=ORCAS_NETWORK,
).output
model_step(
    "orcas_scan",
    "{network}",
    files={"scans": "scans.npz", "metrics": "units.json"},
    input={
        **ORCAS_HELD_OUT,
        "annotations": ORCAS_ANNOTATED_TABLE,
        "model": ORCAS_TRAIN["model"],
        "history": ORCAS_TRAIN["history"],
        "training": ORCAS_TRAIN["metrics"],
    },
    params={
        **ORCAS_SETTINGS,
        "scan": config["orcas"]["scan"],
        "evaluation": config["orcas"]["evaluation"],
        "annotations": ORCAS_ANNOTATED,
    },
    constraints=ORCAS_NETWORK,
)
figures_step(
    "orcas",
    {
        "audio": ORCAS_AUDIO["audio"],
        "table": ORCAS_AUDIO["table"],  # titles name each recording by its source path
        "annotations": ORCAS_ANNOTATED_TABLE,
        **{  # the figures' models: every network's first seed
            name: expand(path, network=ORCAS_NETS)
            for name, path in first_seed(
                "orcas",
                "{network}",
                {
                    "histories": "history.csv",
                    "scans": "scans.npz",
                    "units": "units.json",
                },
            ).items()
        },
    },
    [*ORCAS_FIGURES, *ORCAS_SOUNDS],
    networks=ORCAS_NETS,
    rate=config["orcas"]["audio"]["rate"],
    geometry={
        "window": config["orcas"]["model"]["window"],
        "hop": config["orcas"]["scan"]["hop"],
        "keep_every": config["orcas"]["scan"]["keep_every"],
    },
    evaluation=config["orcas"]["evaluation"],
)
