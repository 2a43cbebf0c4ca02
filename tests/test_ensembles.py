"""N voices as configuration: ensembles of three and five voices from the Palestrina mass
movements inside music21, through the real workflow to MIDI and a score with a track and a
staff per voice, and a texture's description carried by what it writes."""

import json

import mido
import music21
import pytest
from workflow_runs import failure, run_snakemake

from musiclstm.config import ConfigError, validate_config
from musiclstm.data.encode import encode_songs
from musiclstm.data.rejects import WRONG_VOICE_COUNT
from musiclstm.data.sources import SongSource, corpus_root
from musiclstm.settings import EncodingSettings, settings
from musiclstm.textures import config_texture, texture_from

# Palestrina on an eighth-note grid: its notes are long (breves, semibreves), so a coarser grid
# than a chorale's keeps the pieces short.
ENCODING = {
    "time_step": 0.5,
    "shards": 1,
    "acceptable_durations": [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0],
    "chords": "reject",
}
# Movements by their number of voices (each glob holds some of another count, rejected).
ENSEMBLES = {
    3: ["Credo_11_[bcd]", "Sanctus_00_*", "Benedictus_00"],  # 5 in three voices, 2 in four
    5: ["Gloria_34_*"],  # 8 in five voices, 1 in four
}
VOICES = {
    3: ["Cantus", "Altus", "Tenor"],
    5: ["Cantus", "Altus", "Quintus", "Tenor", "Bassus"],
}


def ensemble_config(voices: int) -> dict:
    return {
        "texture": "ensemble",
        "results_dir": f"results/ensemble{voices}",
        "voices": [
            {"name": name, "program": 52 + index % 2, "clef": "auto"}
            for index, name in enumerate(VOICES[voices])
        ],
        "sources": [
            {"name": f"palestrina{i}", "corpus": f"palestrina/{pattern}.krn"}
            for i, pattern in enumerate(ENSEMBLES[voices])
        ],
        "encoding": ENCODING,
        "split": {"valid_fraction": 0.2, "test_fraction": 0.2, "seed": 0},
        "model": {"embedding_size": 8, "hidden_size": 16, "num_layers": 1, "lookback": [1]},
        "harmoniser": {"lookahead": [1]},
        "training": {"batch_size": 4, "epochs": 1, "sequence_length": 128, "seed": 1},
        "generate": {f"motet{voices}": {"seed": "", "bars": 2, "time_signature": "4/2"}},
        "render": {"synthesizer": "builtin"},
        "sweeps": {},
    }


def test_a_config_of_n_voices_is_an_ensemble_of_those_voices():
    texture = config_texture(validate_config(ensemble_config(5)))
    assert texture.voice_names == tuple(VOICES[5])
    assert texture.representation().frame_width == 6  # the frame token and five voices
    assert texture_from(texture.describe()).voice_names == texture.voice_names


def test_an_unknown_texture_is_named_with_the_known_ones():
    config = {"sources": [{"name": "e", "corpus": "essenFolksong/erk1.abc"}], "texture": "trio"}
    with pytest.raises(ConfigError, match=r"texture: 'trio' is not a texture; known: melody, "):
        validate_config(config)


def test_a_melody_of_two_voices_is_refused_naming_the_key():
    config = {"sources": [{"name": "e", "corpus": "essenFolksong/erk1.abc"}]}
    with pytest.raises(ConfigError, match=r"voices: texture 'melody' has one voice, not 2"):
        validate_config(config | {"voices": [{"name": "a"}, {"name": "b"}]})


def test_a_movement_of_another_voice_count_is_rejected_with_its_reason():
    texture = config_texture(validate_config(ensemble_config(3)))
    source = SongSource("p:five", "p", str(corpus_root() / "palestrina/Gloria_90_b.krn"), 0)
    encoded, rejects = encode_songs(
        [source], settings(EncodingSettings, ENCODING), texture.representation()
    )
    assert encoded == [] and rejects[0]["reason"] == WRONG_VOICE_COUNT
    assert (
        "5 parts with notes" in rejects[0]["detail"]
        and "Cantus, Altus, Tenor" in (rejects[0]["detail"])
    )


@pytest.mark.slow
@pytest.mark.parametrize("voices", [3, 5])
def test_an_ensemble_runs_through_the_workflow_to_a_track_and_a_staff_per_voice(voices, tmp_path):
    name = f"motet{voices}"
    targets = [f"results/generated/{name}.mid", f"results/scores/{name}.musicxml"]
    result = run_snakemake(
        tmp_path, "--cores", "2", *targets, config=ensemble_config(voices), timeout=900
    )
    assert result.returncode == 0, failure(result)
    summary = json.loads((tmp_path / f"results/ensemble{voices}/data/summary.json").read_text())
    assert summary["songs_encoded"] >= 3 and summary["songs_rejected"] >= 1
    midi = mido.MidiFile(tmp_path / targets[0])
    names = [next(m.name for m in track if m.type == "track_name") for track in midi.tracks]
    programs = [
        next(m.program for m in track if m.type == "program_change") for track in midi.tracks
    ]
    assert names == VOICES[voices]
    assert programs == [52 + index % 2 for index in range(voices)]
    score = music21.converter.parse(tmp_path / targets[1])
    assert [part.partName for part in score.parts] == VOICES[voices]
    info = json.loads((tmp_path / f"results/generated/{name}.json").read_text())
    assert [voice["name"] for voice in info["texture"]["voices"]] == VOICES[voices]
    assert info["time_step"] == 0.5
