"""Four-voice chorales: encoded from real Bach chorales and back, rejected with their reason,
read ahead by the harmoniser's inputs, and the real workflow run end to end on a few chorales."""

import json
from dataclasses import replace
from fractions import Fraction

import mido
import music21
import numpy as np
import pytest
import torch
from pieces import chorale_piece, melody_piece
from workflow_runs import failure, run_snakemake

from musiclstm.data.chorale import song_to_chorale
from musiclstm.data.encode import encode_songs
from musiclstm.data.parsing import parse_song
from musiclstm.data.rejects import WRONG_VOICE_COUNT, Rejected
from musiclstm.data.sources import SongSource, corpus_root
from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary
from musiclstm.evaluation.voice_leading import chorale_checks
from musiclstm.generation.ensembles import (
    compose_request,
    composed_ending,
    composed_pickup,
    harmonise_request,
    piece_compass,
    read_given_melody,
)
from musiclstm.generation.melodies import TrainingSongs
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling
from musiclstm.model.checkpoint import TrainedModel, build_model, model_args
from musiclstm.model.recall import RecallWeights
from musiclstm.model.voice_leading import PARALLEL, distance_bin
from musiclstm.music.frames import FERMATA_FRAME, FRAME_TOKENS, SATB, frame_width, parse_frames
from musiclstm.music.midi import write_midi
from musiclstm.music.tokens import HOLD
from musiclstm.representation.base import Meter
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.settings import EncodingSettings, ModelSettings, SongSettings, settings
from musiclstm.textures import texture_from

# The chorale config's encoding: each voice on sixteenths, a voice's chord rejects the chorale.
ENCODING = settings(
    EncodingSettings,
    acceptable_durations=[0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 6.0, 8.0],
    chords="reject",
)
CHORALES = ["bach/bwv269.mxl", "bach/bwv10.7.mxl", "bach/bwv262.mxl"]
FRAME_WIDTH = frame_width(len(SATB))
FIVE_PARTS = "bach/bwv1.6.mxl"  # a horn above soprano, alto, tenor and bass


def parsed(name):
    return music21.converter.parse(corpus_root() / name)


def voice_notes(part, shift):
    """(onset in quarters, pitch) of a part's notes, ties joined, moved by ``shift``."""
    return [
        (Fraction(note.offset).limit_denominator(64), note.pitch.midi + shift)
        for note in part.flatten().stripTies().notes
    ]


def event_notes(events, step=Fraction(1, 4)):
    notes, position = [], 0
    for pitch, steps in events:
        if pitch is not None:
            notes.append((position * step, pitch))
        position += steps
    return notes


@pytest.mark.parametrize("name", CHORALES)
def test_real_chorales_round_trip_note_for_note(name):
    score = parsed(name)
    encoded = song_to_chorale(score, ENCODING, SATB)
    tokens = encoded.chorale.tokens()
    # The stream parses back to the same chorale, and its voices are the score's notes: a tied
    # note is one onset and its holds, a repeated note two onsets.
    assert parse_frames(tokens).tokens() == tokens
    events = ChoraleRepresentation().decode(tokens)
    for part, voice in zip(score.parts, events, strict=True):
        assert event_notes(voice) == voice_notes(part, encoded.transposition)
    assert len({sum(steps for _, steps in voice) for voice in events}) == 1
    # Phrase ends are kept: a chorale has several fermatas and ends under one.
    assert encoded.chorale.fermatas[-1]
    fermatas = encoded.chorale.fermatas
    starts = [now and not before for before, now in zip([False, *fermatas], fermatas, strict=False)]
    assert sum(starts) >= 3


def test_a_five_part_chorale_is_rejected_naming_its_parts():
    with pytest.raises(Rejected) as rejected:
        song_to_chorale(parsed(FIVE_PARTS), ENCODING, SATB)
    assert rejected.value.reason == WRONG_VOICE_COUNT
    assert "5 parts" in rejected.value.detail and "Horn" in rejected.value.detail


def test_a_three_part_file_is_rejected_and_accounted_for(tmp_path):
    score = music21.stream.Score()
    for pitch in ("C5", "E4", "C3"):
        part = music21.stream.Part()
        part.append(music21.note.Note(pitch, quarterLength=4))
        score.append(part)
    path = tmp_path / "trio.musicxml"
    score.write("musicxml", fp=path)
    source = SongSource("mine:trio", "mine", str(path), 0)
    encoded, rejects = encode_songs([source], ENCODING, ChoraleRepresentation())
    assert encoded == []
    assert [(row["reason"], row["song_id"]) for row in rejects] == [
        (WRONG_VOICE_COUNT, "mine:trio")
    ]
    assert "3 parts with notes" in rejects[0]["detail"]


def test_a_four_track_midi_file_encodes_to_the_same_voices(tmp_path):
    chorale = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale
    path = tmp_path / "chorale.mid"
    write_midi(chorale_piece(chorale), path)
    [(_, song)] = parse_song(SongSource("mine:chorale", "mine", str(path), 0))
    again = song_to_chorale(song, ENCODING, SATB)
    assert again.transposition == 0  # written in C major already
    assert again.chorale.voices == chorale.voices
    # MIDI marks no fermatas: only the final chord is under one.
    assert again.chorale.fermatas[-1] and not again.chorale.fermatas[0]


def write_parts_with_mido(score, path, ticks=480):
    """Each part of ``score`` as a MIDI track of its own, written with mido alone: a note tied
    over a bar line is one long note, as MIDI has no ties."""
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks)
    for channel, part in enumerate(score.parts):
        events = []
        for note in part.flatten().stripTies().notes:
            start = round(float(note.offset) * ticks)
            end = round(float(note.offset + note.quarterLength) * ticks)
            events += [(start, 1, note.pitch.midi), (end, 0, note.pitch.midi)]
        track, now = mido.MidiTrack(), 0
        for time, on, pitch in sorted(events):
            kind = "note_on" if on else "note_off"
            track.append(
                mido.Message(kind, note=pitch, velocity=80, channel=channel, time=time - now)
            )
            now = time
        midi.tracks.append(track)
    midi.save(path)


def test_a_midi_chorale_with_notes_tied_over_bar_lines_is_encoded_as_its_score(tmp_path):
    """bwv121.6 holds notes of 5 and 14 quarters (tied over bar lines in the score), lengths
    `acceptable_durations` does not list: as MIDI each is one note, accepted as the tied notes a
    score would write."""
    score = parsed("bach/bwv121.6.mxl")
    from_score = song_to_chorale(score, ENCODING, SATB)
    path = tmp_path / "bwv121.6.mid"
    write_parts_with_mido(score, path)
    [(_, song)] = parse_song(SongSource("mine:bwv121.6", "mine", str(path), 0))
    from_midi = song_to_chorale(song, ENCODING, SATB)
    assert from_midi.chorale.voices == from_score.chorale.voices


def one_track_melody(path, lengths, ticks=480):
    """A MIDI melody of C4s of ``lengths`` quarter notes, one after another."""
    track = mido.MidiTrack()
    for length in lengths:
        track.append(mido.Message("note_on", note=60, velocity=80, time=0))
        track.append(mido.Message("note_off", note=60, velocity=0, time=round(length * ticks)))
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks)
    midi.tracks.append(track)
    midi.save(path)
    [(_, song)] = parse_song(SongSource("mine:tune", "mine", str(path), 0))
    return song


def test_a_midi_melodys_long_note_is_a_sum_of_acceptable_lengths_or_rejected(tmp_path):
    encoding = settings(
        EncodingSettings, acceptable_durations=[0.5, 1.0, 2.0, 4.0], transpose=False
    )
    melody = texture_from({"name": "melody"}).representation()
    tied = melody.encode(one_track_melody(tmp_path / "a.mid", [5.0, 1.0, 2.0]), encoding)
    assert tied.tokens[:21] == ["60"] + ["_"] * 19 + ["60"]  # five quarters, then the next C
    with pytest.raises(Rejected) as rejected:  # 0.75 is no sum of 0.5, 1, 2 and 4
        melody.encode(one_track_melody(tmp_path / "b.mid", [1.0, 0.75, 1.25]), encoding)
    assert rejected.value.reason == "unacceptable_duration"


def vocabulary_of(*songs):
    return Vocabulary(build_vocabulary(list(songs), ChoraleRepresentation())["tokens"])


@pytest.mark.parametrize("voice_leading", [False, True])
def test_step_inputs_read_ahead_as_the_training_inputs_do(voice_leading):
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    vocabulary = vocabulary_of(tokens)
    representation = ChoraleRepresentation(
        (1, 2), (1, 2, 4, 8), SATB, voice_leading, ahead_pitches=voice_leading
    )
    representation = representation.for_vocabulary(vocabulary.tokens)
    ids = np.array(vocabulary.encode(tokens))
    meter = Meter(16, 4)
    whole = representation.song_inputs(ids, meter, vocabulary.boundary)
    seed = list(ids[:15])
    stepped = representation.step_inputs(seed, [meter], vocabulary.boundary, len(ids) - 15, ids)
    rows = [stepped.leading(16)[0]]
    rows += [stepped.next(np.array([token]))[0][None].copy() for token in ids[15:]]
    assert np.array_equal(np.concatenate(rows), whole[:])
    if voice_leading:  # the sounding pitches: every hold replaced by the note it holds
        hold = vocabulary.index[HOLD]
        assert hold in whole[:, representation.token_columns]
        assert hold not in whole[2 * FRAME_WIDTH :, representation.sounding_columns]
    # The frame tokens are the first ids of every chorale vocabulary: a fermata found by id.
    assert vocabulary.tokens[representation.fermata_id] == FERMATA_FRAME


def test_a_harmoniser_reads_the_pitches_of_the_melody_ahead_and_at_its_next_fermata():
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    vocabulary = vocabulary_of(tokens)
    representation = ChoraleRepresentation((1,), (1, 4), SATB, True, ahead_pitches=True)
    representation = representation.for_vocabulary(vocabulary.tokens)
    ids = np.array(vocabulary.encode(tokens))
    inputs = representation.song_inputs(ids, Meter(16, 4), vocabulary.boundary)
    column = {name: i for i, name in enumerate(representation.input_columns)}
    frames = parse_frames(tokens, SATB)
    soprano = []  # the pitch sounding in each frame: a hold is the note before it
    for token in frames.voices[0]:
        soprano.append(soprano[-1] if token == HOLD else token)
    fermatas = [frame for frame, fermata in enumerate(frames.fermatas) if fermata]
    assert len(fermatas) >= 4
    for frame in range(frames.frames):
        row = inputs[frame * FRAME_WIDTH + 3]  # the tenor's step
        ahead = frame + 4
        expected = soprano[ahead] if ahead < frames.frames else None
        read = row[column["soprano_pitch_ahead_4"]]
        if expected is None:
            assert read == vocabulary.boundary
        else:
            assert vocabulary.tokens[read] == expected
        cadence = next((f for f in fermatas if f >= frame), None)
        at_fermata = row[column["soprano_at_fermata"]]
        if cadence is None:
            assert at_fermata == vocabulary.boundary
        else:
            assert vocabulary.tokens[at_fermata] == soprano[cadence]
    # The raw tokens ahead are still read: a held soprano is a hold there.
    assert vocabulary.index[HOLD] in inputs[:, column["soprano_ahead_4"]]
    with pytest.raises(ValueError, match="ahead_pitches"):
        ChoraleRepresentation((1,), (), SATB, True, ahead_pitches=True)


def untrained(representation, vocabulary):
    model = settings(ModelSettings, hidden_size=16, embedding_size=8, lookback=[1])
    torch.manual_seed(0)
    network = build_model(model_args(len(vocabulary), model, 0, representation)).eval()
    return TrainedModel(network, vocabulary, representation, 0.25, epoch=0)


def test_harmonising_keeps_the_given_melody_token_for_token():
    melody = read_given_melody(str(corpus_root() / "bach/bwv269.mxl"), ENCODING)
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    representation = ChoraleRepresentation((1,), (1, 2, 4))
    trained = untrained(representation, vocabulary_of(tokens))
    request = harmonise_request(melody, 0.25, FRAME_WIDTH)
    [sampled] = sample_songs(trained, request, 1, Sampling("top_k"), 1)
    chorale = parse_frames(sampled)
    assert chorale.voices[0] == melody.tokens
    assert chorale.fermatas == melody.fermatas


@pytest.mark.parametrize(
    "signature, upbeat, final_chord",
    # Struck on the last strong beat a quarter or more before the end, as Bach's are: the third
    # beat of 4/4 (a half note; a quarter in a last bar short by a quarter-note upbeat), the
    # first of 3/4 (a dotted half; a half note after a quarter-note upbeat).
    [("4/4", 0, 8), ("4/4", 1, 4), ("3/4", 0, 12), ("3/4", 1, 8)],
)
def test_a_composed_chorale_is_whole_frames_ending_under_a_fermata(signature, upbeat, final_chord):
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    trained = untrained(ChoraleRepresentation((1,)), vocabulary_of(tokens))
    song = settings(SongSettings, seed="", bars=2, time_signature=signature, upbeat=upbeat)
    request = compose_request(song, [], 0.25, FRAME_WIDTH, composed_pickup(song, 0.25))
    [sampled] = sample_songs(trained, request, 1, Sampling("temperature"), 4)
    chorale = parse_frames(sampled)  # every frame token and voice token in its place
    bar = 16 if signature == "4/4" else 12
    assert chorale.frames == 2 * bar and all(chorale.fermatas[-final_chord:])
    # One final chord, struck where the fermata begins and held to the end.
    n = final_chord
    assert all(voice[-n] != HOLD and set(voice[-n + 1 :]) == {HOLD} for voice in chorale.voices)
    assert HOLD not in [voice[0] for voice in chorale.voices]  # nothing to hold at the start
    assert all(token in FRAME_TOKENS for token in sampled[::FRAME_WIDTH])


def test_a_composed_chorale_draws_its_upbeat_and_last_chord_from_a_training_chorale(tmp_path):
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    vocabulary = vocabulary_of(tokens)
    # Three 4/4 chorales with a quarter-note upbeat (12 sixteenths into the bar), one 3/4 without
    # and one 6/8 (bars as long as 3/4's) with an eighth-note upbeat.
    meters = {
        "bar_steps": [16, 16, 16, 12, 12],
        "pickup_steps": [12, 12, 12, 0, 10],
        "time_signature": ["4/4", "4/4", "4/4", "3/4", "6/8"],
    }
    save_arrays(songs_to_arrays([tokens] * 5, vocabulary, meters), tmp_path / "train.npz")
    training = TrainingSongs(tmp_path / "train.npz", untrained(ChoraleRepresentation(), vocabulary))
    for seed in range(3):
        common = {"seed": "", "bars": 2, "random_seed": seed}
        four = settings(SongSettings, time_signature="4/4", **common)
        three = settings(SongSettings, time_signature="3/4", **common)
        assert composed_pickup(four, 0.25, training) == 12
        assert composed_pickup(three, 0.25, training) == 0
        assert composed_pickup(four, 0.25, training, seeded=True) == 0
        assert composed_pickup(four, 0.25) == 0  # no training pieces given
        # bwv269 ends on a half note under its fermata, not on the last strong beat's quarter.
        assert composed_ending(four, training, SATB) == 8
        assert composed_ending(three, training, SATB) == 8
        assert composed_ending(four, training, SATB, seeded=True) is None
        assert composed_ending(four, None, SATB) is None
        given = replace(four, upbeat=1.0)
        assert composed_ending(given, training, SATB) is None  # the last strong beat's
        request = compose_request(four, [], 0.25, FRAME_WIDTH, 12, final_frames=8)
        fermatas = [token == FERMATA_FRAME for token in request.given[::FRAME_WIDTH]]
        assert fermatas == [False] * 24 + [True] * 8
    half = settings(SongSettings, time_signature="4/4", upbeat=2)
    assert composed_pickup(half, 0.25) == 8
    with pytest.raises(ValueError, match="upbeat: 5.0 quarter notes"):
        composed_pickup(settings(SongSettings, time_signature="4/4", upbeat=5), 0.25)


def spans_of(chorale) -> list[int]:
    """Each voice's highest note less its lowest."""
    pitches = [[int(t) for t in voice if t.isdigit()] for voice in chorale.voices]
    return [max(notes) - min(notes) for notes in pitches]


def test_a_composed_chorale_keeps_each_voice_within_the_compass_of_a_training_chorale(tmp_path):
    bach = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale
    tokens = bach.tokens()
    vocabulary = vocabulary_of(tokens)
    meters = {"bar_steps": [16], "pickup_steps": [12], "time_signature": ["4/4"]}
    save_arrays(songs_to_arrays([tokens], vocabulary, meters), tmp_path / "train.npz")
    trained = replace(
        untrained(ChoraleRepresentation((1,)), vocabulary),
        texture=texture_from({"name": "chorale"}),
    )
    training = TrainingSongs(tmp_path / "train.npz", trained)
    song = settings(SongSettings, seed="", bars=8, time_signature="4/4", upbeat=0)
    compass = piece_compass(song, training, "4/4", 8, SATB)
    assert list(compass) == spans_of(bach) == [7, 10, 10, 13]  # bwv269's own voices
    assert piece_compass(replace(song, compass=10), None, "4/4", 8, SATB) == (10.0,) * 4
    assert piece_compass(replace(song, compass="none"), training, "4/4", 8, SATB) == ()
    assert piece_compass(song, training, "3/4", 8, SATB) == ()  # no training piece in 3/4
    request = compose_request(song, [], 0.25, FRAME_WIDTH)
    ruled = Sampling("temperature", voice_rules=True)
    [free] = sample_songs(trained, request, 1, ruled, 2)
    [kept] = sample_songs(trained, replace(request, compass=compass), 1, ruled, 2)
    assert any(
        span > limit for span, limit in zip(spans_of(parse_frames(free)), compass, strict=True)
    )
    assert all(
        span <= limit for span, limit in zip(spans_of(parse_frames(kept)), compass, strict=True)
    )


# --- The workflow ---------------------------------------------------------------------------------

TINY_CHORALES = {
    "texture": "chorale",
    "results_dir": "results/chorale",
    "sources": [{"name": "bach", "corpus": "bach/bwv2*.mxl", "max_songs": 14}],
    "encoding": {
        "shards": 2,
        "chords": "reject",
        "acceptable_durations": [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0],
    },
    "split": {"valid_fraction": 0.2, "test_fraction": 0.2, "seed": 0},
    "model": {
        "embedding_size": 8,
        "hidden_size": 16,
        "num_layers": 1,
        "lookback": [1],
        "voice_leading": True,
        "form": True,
    },
    "harmoniser": {"lookahead": [1, 4], "learning_rate": 0.001},
    "training": {"batch_size": 4, "epochs": 1, "sequence_length": 128, "seed": 1},
    "generate": {
        "chorale": {"seed": "", "bars": 2, "tempo_bpm": 72, "upbeat": 0},
        # Composed with a quarter-note upbeat (as 3 in 4 of Bach's test chorales start).
        # Both recall their own past: the model's and the harmoniser's recall weights are fitted.
        "upbeat_chorale": {"seed": "", "bars": 2, "upbeat": 1, "recall": True},
        "harmonised": {"melody": "corpus:bach/bwv269.mxl", "key": "G", "recall": True},
        # An F-major tune with a quarter-note upbeat, given no key: it comes back in F, bar lines
        # in place.
        "upbeat": {"melody": "corpus:bach/bwv281.krn"},
        # What `make song_harmonised` does: the melody workflow's song, in four voices.
        "song_harmonised": {"melody": "results/generated/song.mid"},
    },
    "render": {"synthesizer": "builtin"},
    "sweeps": {},
}


# A song as the melody workflow writes it, in C major: two bars of 4/4.
SONG = "60 _ _ _ 64 _ _ _ 67 _ _ _ 64 _ 65 _ 67 _ _ _ 62 _ 59 _ 60 _ _ _ _ _ _ _".split()


@pytest.fixture(scope="module")
def chorale_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("chorales")
    (workdir / "results/generated").mkdir(parents=True)
    write_midi(melody_piece(SONG), workdir / "results/generated/song.mid")
    result = run_snakemake(workdir, "--cores", "2", config=TINY_CHORALES, timeout=900)
    assert result.returncode == 0, failure(result)
    return workdir


@pytest.mark.slow
def test_the_chorale_run_keeps_its_stages_apart(chorale_run):
    assert (chorale_run / "results/chorale/model/checkpoint.pt").exists()
    harmoniser = torch.load(
        chorale_run / "results/chorale/harmoniser/checkpoint.pt", weights_only=True
    )
    # The harmoniser started from the model that composes (harmoniser.start_from_model).
    assert harmoniser["init_from"]["path"] == "results/chorale/model/checkpoint.pt"
    assert harmoniser["representation"]["lookahead"] == [1, 4]
    # With voice leading it reads the melody's pitches ahead, at its own learning rate.
    assert harmoniser["representation"]["ahead_pitches"] is True
    assert harmoniser["config"]["training"]["learning_rate"] == 0.001
    model = torch.load(chorale_run / "results/chorale/model/checkpoint.pt", weights_only=True)
    assert model["config"]["training"]["learning_rate"] == 0.003
    assert "ahead_pitches" not in model["representation"]
    assert not (chorale_run / "results/model").exists()  # the melody workflow's place
    summary = json.loads((chorale_run / "results/chorale/data/summary.json").read_text())
    assert summary["songs_in"] == summary["songs_encoded"] + summary["songs_rejected"]


@pytest.mark.slow
def test_the_chorale_model_learns_from_bach_that_parallels_are_rare(chorale_run):
    """Its voice-leading weights start at zero; Bach writes almost no parallel fifths or
    octaves, so training lowers the weight of each for every voice against every voice above."""
    model = TrainedModel.load(chorale_run / "results/chorale/model/checkpoint.pt").model
    # (slot, places above - 1, distance below, relation): a fifth, an octave and a twelfth below
    parallels = model.voice_leading.against[..., [distance_bin(d) for d in (7, 12, 19)], PARALLEL]
    for slot in range(2, FRAME_WIDTH):  # alto, tenor, bass
        for above in range(slot - 1):  # against the voice above + 1 places up
            assert (parallels[slot, above] < 0).all(), (slot, above)


@pytest.mark.slow
def test_chorale_metrics_by_frame_and_voice_with_the_baseline(chorale_run):
    metrics = json.loads((chorale_run / "results/chorale/evaluation/metrics.json").read_text())
    chorale = metrics["test"]["chorale"]
    assert chorale["frames"] > 0 and 0 < chorale["nats_per_voice_step"] < 10
    assert set(chorale["voices"]) == {"soprano", "alto", "tenor", "bass"}
    baseline = metrics["baseline"]
    assert 2 <= baseline["order"] <= 8 and baseline["test"]["bits_per_frame"] > 0
    stats = json.loads((chorale_run / "results/chorale/evaluation/music_stats.json").read_text())
    assert stats["voice_leading"]["held_out"]["chorales"] == chorale["chorales"]


@pytest.mark.slow
def test_recall_weights_are_fitted_for_both_models_and_scored(chorale_run):
    stages = chorale_run / "results/chorale"
    for model, metrics_file in (("model", "metrics"), ("harmoniser", "harmoniser_metrics")):
        weights = RecallWeights.read(stages / f"{model}/recall.json")
        assert weights.weights[0] == 0.0 and all(0 <= w < 1 for w in weights.weights)
        # A stream of frames: the top line is recalled on its own too, and by its moves.
        for line in (weights.line, weights.moved):
            assert len(line) == len(weights.weights) and line[0] == 0.0
        metrics = json.loads((stages / f"evaluation/{metrics_file}.json").read_text())
        assert metrics["recall"] == weights.describe()
        # Fitted on the validation chorales, so never worse there than the model alone (the
        # likelihood is concave in each weight, and a weight of 0 is the model itself).
        alone, recalled = metrics["valid"], metrics["valid_with_recall"]
        assert recalled["bits_per_step"] <= alone["bits_per_step"] + 1e-6
        assert recalled["chorale"]["voices"].keys() == alone["chorale"]["voices"].keys()
        assert metrics["test_with_recall"]["steps"] == metrics["test"]["steps"]


@pytest.mark.slow
def test_the_composed_chorale_reads_back_as_four_voices(chorale_run):
    tokens = (chorale_run / "results/generated/chorale.txt").read_text().split()
    chorale = parse_frames(tokens)
    midi = mido.MidiFile(chorale_run / "results/generated/chorale.mid")
    names = [next(m.name for m in track if m.type == "track_name") for track in midi.tracks]
    assert names == ["Soprano", "Alto", "Tenor", "Bass"]
    channels = [{m.channel for m in track if m.type == "note_on"} for track in midi.tracks]
    assert channels == [{0}, {1}, {2}, {3}]
    score = music21.converter.parse(chorale_run / "results/scores/chorale.musicxml")
    assert len(score.parts) == 2  # the grand staff: soprano and alto above, tenor and bass below
    voices = [
        {voice.id for voice in part.recurse().getElementsByClass("Voice")} for part in score.parts
    ]
    assert [len(ids) for ids in voices] == [2, 2]  # two voices on each staff
    assert chorale.frames == 32


@pytest.mark.slow
def test_a_composed_chorale_with_an_upbeat_ends_short_by_as_much(chorale_run):
    """The upbeat on the fourth beat of the first bar, and the last bar's music three quarters
    long (the score fills both bars with rests), the final chord struck on its third beat."""
    tokens = (chorale_run / "results/generated/upbeat_chorale.txt").read_text().split()
    chorale = parse_frames(tokens)
    assert chorale.frames == 32 and all(chorale.fermatas[-4:])
    info = json.loads((chorale_run / "results/generated/upbeat_chorale.json").read_text())
    assert info["pickup_steps"] == 12
    score = music21.converter.parse(chorale_run / "results/scores/upbeat_chorale.musicxml")
    bars = score.parts[0].getElementsByClass("Measure")
    assert len(bars) == 3 and min(n.offset for n in bars[0].recurse().notes) == 3.0
    assert max(n.offset + n.quarterLength for n in bars[-1].recurse().notes) == 3.0


@pytest.mark.slow
def test_the_harmonised_melody_comes_out_unchanged(chorale_run):
    tokens = (chorale_run / "results/generated/harmonised.txt").read_text().split()
    chorale = parse_frames(tokens)
    melody = read_given_melody(str(corpus_root() / "bach/bwv269.mxl"), ENCODING)
    # bwv269 is in G major, written back in G: the soprano is Bach's, note for note.
    score = parsed("bach/bwv269.mxl")
    assert event_notes(chorale.events()[0]) == voice_notes(score.parts[0], 0)
    assert chorale.fermatas == melody.fermatas
    page = (chorale_run / "results/report/songs/harmonised.html").read_text()
    assert "soprano" in page


@pytest.mark.parametrize(
    "head", ["step", "frame", "reader", "voice_leading", "sounding", "sounding_reader"]
)
def test_a_chorale_model_gives_the_same_logits_whole_in_pieces_and_step_by_step(head):
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    vocabulary = vocabulary_of(tokens)
    sounding = head.startswith("sounding")  # the LSTM reads the sounding pitches too
    voice_leading = head == "voice_leading" or sounding
    # A harmoniser with the sounding inputs also reads the melody's pitches ahead.
    representation = ChoraleRepresentation(
        (1,), (1, 4), SATB, voice_leading, ahead_pitches=sounding
    )
    representation = representation.for_vocabulary(vocabulary.tokens)
    reader = 8 if head.endswith("reader") else 0
    model = settings(
        ModelSettings,
        head="frame" if head == "frame" else "step",
        hidden_size=16,
        embedding_size=8,
        lookback=[1],
        melody_reader=reader,
        voice_leading=voice_leading,
        sounding_inputs=sounding,
    )
    torch.manual_seed(0)
    args = model_args(len(vocabulary), model, 0, representation, vocabulary.tokens)
    network = build_model(args).eval()
    if sounding:  # own two, above now and before, below: each a block of the LSTM's input
        read = [name for name, _ in network.input_blocks() if name.startswith("sounding")]
        assert len(read) == 11
    if voice_leading:  # weights as if learnt (they start at zero)
        with torch.no_grad():
            for weights in network.voice_leading.parameters():
                weights.normal_()
    ids = np.array(vocabulary.encode(tokens))[:203]
    inputs = torch.as_tensor(representation.song_inputs(ids, Meter(16, 4), 0))[None]
    stream = torch.tensor([[vocabulary.boundary, *ids]])
    given = torch.as_tensor(ids)[None]  # a harmoniser's reader reads the melody's frames
    with torch.no_grad():
        whole, _ = network(stream, inputs, network.start(given))
        pieces, state = [], network.start(given)
        for start in range(0, stream.shape[1], 7):  # 7: pieces that split frames
            logits, state = network(
                stream[:, start : start + 7], inputs[:, start : start + 7], state
            )
            pieces.append(logits)
        step = network.stepper(fast=True)  # the per-step LSTM's kernel, the frame model's step
        logits, state = network(stream[:, :1], inputs[:, :1], network.start(given))
        stepped = [logits[:, 0]]
        for position in range(1, stream.shape[1]):
            logits, state = step(stream[:, position], inputs[:, position], state)
            stepped.append(logits)
    torch.testing.assert_close(torch.cat(pieces, dim=1), whole, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(torch.stack(stepped, dim=1), whole, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("reader", [0, 8])
def test_the_melody_reader_hears_the_melody_beyond_the_look_ahead(reader):
    tokens = song_to_chorale(parsed("bach/bwv269.mxl"), ENCODING, SATB).chorale.tokens()
    representation = ChoraleRepresentation((1,), (1, 4))
    vocabulary = vocabulary_of(tokens)
    model = settings(
        ModelSettings, hidden_size=16, embedding_size=8, lookback=[1], melody_reader=reader
    )
    torch.manual_seed(0)
    network = build_model(model_args(len(vocabulary), model, 0, representation)).eval()
    ids = np.array(vocabulary.encode(tokens))
    # The soprano 24 frames in: the look-ahead columns show the first frames 1 and 4 ahead.
    soprano = 24 * FRAME_WIDTH + 1
    changed = ids.copy()
    changed[soprano] = vocabulary.index["72" if tokens[soprano] != "72" else "67"]

    def first_frames(song):
        inputs = torch.as_tensor(representation.song_inputs(song, Meter(16, 4), 0))[None]
        stream = torch.tensor([[vocabulary.boundary, *song]])
        with torch.no_grad():
            logits, _ = network(stream, inputs, network.start(torch.as_tensor(song)[None]))
        return logits[0, : 4 * FRAME_WIDTH]

    differs = not torch.equal(first_frames(ids), first_frames(changed))
    assert differs == bool(reader)


@pytest.mark.slow
def test_a_generated_song_is_harmonised_under_its_own_notes(chorale_run):
    tokens = (chorale_run / "results/generated/song_harmonised.txt").read_text().split()
    chorale = parse_frames(tokens)
    assert chorale.voices[0] == SONG
    assert chorale.fermatas[-1] and not chorale.fermatas[0]  # the last note ends the phrase
    midi = mido.MidiFile(chorale_run / "results/generated/song_harmonised.mid")
    assert len(midi.tracks) == 4


@pytest.mark.slow
def test_a_composed_chorale_says_how_it_was_sampled_and_passes_the_rules(chorale_run):
    """The defaults: the voice and cadence rules and two refinement sweeps, recorded with the
    piece; however little the tiny model learnt, no parallels and every cadence on a
    root-position triad, the last on the tonic."""
    info = json.loads((chorale_run / "results/generated/chorale.json").read_text())
    assert {
        key: info["sampling"][key]
        for key in ("voice_rules", "cadence_rules", "refine_sweeps", "refine_temperature")
    } == {"voice_rules": True, "cadence_rules": True, "refine_sweeps": 2, "refine_temperature": 0.5}
    assert info["sampling"]["strategy"] == "top_k" and info["sampling"]["random_seed"] == 1
    chorale = parse_frames((chorale_run / "results/generated/chorale.txt").read_text().split())
    checks = chorale_checks([chorale])
    assert checks["parallels_per_100_frames"] == 0
    assert checks["fermata_root_triad_share"] == 1.0 and checks["final_tonic_triad_share"] == 1.0


@pytest.mark.slow
def test_a_tune_with_an_upbeat_comes_back_in_its_key_and_meter(chorale_run):
    """The F-major soprano of bwv281 (a quarter-note upbeat in 4/4), harmonised with no key
    given: its notes as the file has them, its key, and its bar lines after the upbeat."""
    chorale = parse_frames((chorale_run / "results/generated/upbeat.txt").read_text().split())
    soprano = parsed("bach/bwv281.krn").parts[0]
    assert event_notes(chorale.events()[0]) == voice_notes(soprano, 0)  # F major, not C
    info = json.loads((chorale_run / "results/generated/upbeat.json").read_text())
    assert (info["key"], info["time_signature"], info["pickup_steps"]) == ("F major", "4/4", 12)
    score = music21.converter.parse(chorale_run / "results/scores/upbeat.musicxml")
    signatures = score.parts[0].recurse().getElementsByClass("KeySignature")
    assert signatures[0].sharps == -1  # one flat: F major
    first_bar = score.parts[0].getElementsByClass("Measure")[0]
    onsets = sorted(n.offset for n in first_bar.recurse().notes)
    assert onsets and min(onsets) == 3.0  # the upbeat on the fourth beat of the first bar
