"""Voice-leading checks on hand-made chorales whose answers are known."""

import subprocess
import sys

import pytest

from musiclstm.evaluation.voice_leading import (
    chorale_checks,
    compare_checks,
    sounding_pitches,
    voice_leading_stats,
    voice_ranges,
)
from musiclstm.music.frames import SATB, Frames
from musiclstm.textures.ensemble_report import CHORALE_COLUMNS, chorale_sections

C_MAJOR = (67, 64, 60, 48)  # G4 E4 C4 C3
G_MAJOR = (67, 62, 59, 43)  # G4 D4 B3 G2: from C_MAJOR, no parallels
D_MINOR = (69, 65, 62, 50)  # every voice a tone up from C_MAJOR
G_SEVENTH = (65, 62, 59, 43)  # F4 D4 B3 G2
CLUSTER = (65, 64, 62, 60)  # F4 E4 D4 C4


TRIO = ("Violin I", "Viola", "Violoncello")
MOTET = ("cantus", "quintus", "altus", "tenor", "bassus")


def chorale(chords, steps=4, fermatas=(), names=SATB):
    """Chords of (soprano, alto, tenor, bass) pitches (``None`` a rest), or of the voices
    ``names``, each struck anew and held ``steps`` frames; the chords whose indexes are in
    ``fermatas`` are under a fermata."""
    voices = [[(chord[voice], steps) for chord in chords] for voice in range(len(chords[0]))]
    marks = [index in fermatas for index, _ in enumerate(chords) for _ in range(steps)]
    return Frames.from_events(voices, marks, names)


def test_sounding_pitches_resolve_holds_and_rests():
    grid = sounding_pitches(Frames((["60", "_", "r"], ["_", "57", "_"], ["r"] * 3, ["48"] * 3),
                                    [False] * 3))  # fmt: skip
    assert grid.shape == (3, 4)
    assert grid.tolist() == [[60, None, None, 48], [60, 57, None, 48], [None, 57, None, 48]]


def test_parallels_are_counted_between_every_pair_of_voices():
    checks = chorale_checks([chorale([C_MAJOR, D_MINOR])])
    # soprano-tenor fifth, soprano-bass twelfth, tenor-bass octave, all moving up a tone
    assert checks["parallel_fifths"] == 2
    assert checks["parallel_octaves"] == 1
    assert checks["parallels_per_100_frames"] == pytest.approx(100 * 3 / 8)


def test_parallels_are_also_counted_per_pair_of_voices():
    by_pair = chorale_checks([chorale([C_MAJOR, D_MINOR])])["parallels_per_100_frames_by_pair"]
    one_in_8_frames = 100 / 8
    assert by_pair == {
        "soprano-alto": 0,
        "soprano-tenor": one_in_8_frames,
        "soprano-bass": one_in_8_frames,
        "alto-tenor": 0,
        "alto-bass": 0,
        "tenor-bass": one_in_8_frames,
    }


def test_a_fifth_between_the_outer_voices_of_three_counts_on_that_pair_only():
    # Violin I and Violoncello a fifth apart both move up a tone; the viola moves a semitone
    trio = chorale([(67, 64, 60), (69, 65, 62)], names=TRIO)
    checks = chorale_checks([trio], ranges=[(0, 127)] * 3)
    assert checks["parallel_fifths"] == 1 and checks["parallel_octaves"] == 0
    assert checks["parallels_per_100_frames_by_pair"] == {
        "Violin I-Viola": 0,
        "Violin I-Violoncello": pytest.approx(100 / 8),
        "Viola-Violoncello": 0,
    }
    assert checks["out_of_range_share_Viola"] == 0


def test_five_voices_cross_and_space_between_neighbours_only():
    crossed = (79, 76, 67, 72, 48)  # the tenor above the altus
    spaced = (79, 76, 72, 55, 43)  # the altus over an octave above the tenor
    far_bass = (79, 76, 72, 67, 31)  # only the bassus far below the tenor: not counted
    motet = chorale([crossed, spaced, far_bass], names=MOTET)
    checks = chorale_checks([motet], ranges=[(0, 127)] * 5)
    assert checks["crossing_share"] == pytest.approx(1 / 3)
    assert checks["wide_spacing_share"] == pytest.approx(1 / 3)
    assert len(checks["parallels_per_100_frames_by_pair"]) == 10


def test_chords_of_three_voices_are_judged_where_all_three_sound():
    checks = chorale_checks(
        [chorale([(67, 64, 60), (None, 64, 60)], names=TRIO)], ranges=[(0, 127)] * 3
    )
    assert checks["full_frames"] == 4 and checks["triad_share"] == 1


def test_two_voices_have_no_upper_pair_to_space():
    duo = chorale([(79, 48)], names=("Violin", "Violoncello"))
    checks = chorale_checks([duo], ranges=[(0, 127)] * 2)
    assert checks["wide_spacing_share"] is None
    assert checks["crossing_share"] == 0


def test_good_voice_leading_has_no_parallels():
    checks = chorale_checks([chorale([C_MAJOR, G_MAJOR, C_MAJOR])])
    assert checks["parallel_fifths"] == checks["parallel_octaves"] == 0


def test_fifths_by_contrary_motion_or_with_a_still_voice_are_not_parallels():
    contrary = chorale([(None, None, 67, 60), (None, None, 74, 55)])  # fifth to twelfth, apart
    still = chorale([(None, None, 67, 60), (None, None, 67, 60)])  # the same fifth struck again
    checks = chorale_checks([contrary, still])
    assert checks["parallel_fifths"] == checks["parallel_octaves"] == 0


def test_parallels_across_a_held_chord_still_count():
    held = chorale([(None, None, 67, 60), (None, None, 69, 62)], steps=8)
    assert chorale_checks([held])["parallel_fifths"] == 1


def test_a_voice_above_the_next_higher_one_is_a_crossing():
    crossed = (64, 67, 60, 48)  # the alto above the soprano
    checks = chorale_checks([chorale([C_MAJOR, crossed])])
    assert checks["crossing_share"] == pytest.approx(0.5)
    assert chorale_checks([chorale([C_MAJOR, G_MAJOR])])["crossing_share"] == 0


def test_notes_outside_a_voice_range_are_counted_per_voice():
    low_bass = (67, 64, 60, 36)  # C2, below the bass's E2
    checks = chorale_checks([chorale([C_MAJOR, low_bass])])
    assert checks["out_of_range_share_bass"] == pytest.approx(0.5)
    assert checks["out_of_range_share_soprano"] == 0
    assert checks["out_of_range_share"] == pytest.approx(1 / 8)
    wide = ((0, 127),) * 4
    assert chorale_checks([chorale([C_MAJOR, low_bass])], ranges=wide)["out_of_range_share"] == 0


def test_ranges_need_one_pair_per_voice():
    with pytest.raises(ValueError, match="one per voice"):
        chorale_checks([chorale([C_MAJOR])], ranges=[(40, 80)] * 3)


def test_a_doubled_triad_is_a_triad_and_a_cluster_is_no_chord():
    triad = chorale_checks([chorale([C_MAJOR])])
    assert triad["triad_share"] == 1 and triad["seventh_share"] == 0
    cluster = chorale_checks([chorale([CLUSTER])])
    assert cluster["triad_share"] == cluster["seventh_share"] == cluster["chord_share"] == 0


def test_a_dominant_seventh_is_a_seventh_chord():
    checks = chorale_checks([chorale([G_SEVENTH, C_MAJOR])])
    assert checks["seventh_share"] == pytest.approx(0.5)
    assert checks["triad_share"] == pytest.approx(0.5)
    assert checks["chord_share"] == 1


def test_a_seventh_chord_may_leave_out_its_fifth_but_a_triad_may_not():
    no_fifth = chorale_checks([chorale([(65, 59, 55, 43)])])  # F B G G
    assert no_fifth["seventh_share"] == 1
    bare_triad = chorale_checks([chorale([(72, 64, 60, 48)])])  # C E C C
    assert bare_triad["chord_share"] == 0


def test_chords_are_only_judged_where_all_voices_sound():
    checks = chorale_checks([chorale([C_MAJOR, (None, 64, 60, 48)])])
    assert checks["full_frames"] == 4 and checks["triad_share"] == 1


def test_a_cadence_on_the_tonic_at_the_fermata():
    checks = chorale_checks([chorale([C_MAJOR, G_SEVENTH, C_MAJOR], fermatas={2})])
    assert checks["fermatas"] == 1
    assert checks["fermata_root_triad_share"] == 1
    assert checks["fermata_tonic_dominant_share"] == 1
    assert checks["final_tonic_triad_share"] == 1


def test_a_final_chord_with_the_tonic_on_top_is_a_perfect_authentic_cadence():
    root_on_top, fifth_on_top = (72, 64, 55, 48), C_MAJOR  # C E G C and G E C C
    on_top = chorale_checks([chorale([G_SEVENTH, root_on_top], fermatas={1})])
    below = chorale_checks([chorale([G_SEVENTH, fifth_on_top], fermatas={1})])
    assert on_top["final_tonic_triad_share"] == 1 and on_top["final_tonic_on_top_share"] == 1
    assert below["final_tonic_triad_share"] == 1 and below["final_tonic_on_top_share"] == 0


def test_a_half_cadence_on_the_dominant_and_a_final_chord_without_its_fifth():
    bare_tonic = (72, 64, 60, 48)  # C E C C: no fifth, as Bach often ends
    checks = chorale_checks([chorale([C_MAJOR, G_MAJOR, C_MAJOR, bare_tonic], fermatas={1, 3})])
    assert checks["fermatas_per_chorale"] == 2
    assert checks["fermata_tonic_dominant_share"] == 1
    assert checks["final_tonic_triad_share"] == 1


def test_an_inverted_or_foreign_chord_at_a_fermata_is_no_cadence():
    first_inversion = (67, 60, 55, 52)  # C major over E
    d_minor = D_MINOR  # root position, but on neither tonic nor dominant
    chords = [C_MAJOR, first_inversion, C_MAJOR, d_minor]
    checks = chorale_checks([chorale(chords, fermatas={1, 3})])
    assert checks["fermatas"] == 2
    assert checks["fermata_root_triad_share"] == pytest.approx(0.5)
    assert checks["fermata_tonic_dominant_share"] == 0
    assert checks["final_tonic_triad_share"] == 0


def test_frames_under_one_fermata_run_are_one_phrase_end():
    checks = chorale_checks([chorale([C_MAJOR, G_MAJOR, C_MAJOR], fermatas={1, 2})])
    assert checks["fermatas"] == 1 and checks["fermata_tonic_dominant_share"] == 1


def test_a_minor_chorale_takes_a_as_its_tonic():
    a_minor, e_major = (69, 64, 60, 45), (68, 64, 59, 40)
    ending = chorale_checks([chorale([a_minor, e_major, a_minor], fermatas={1, 2})])
    assert ending["fermata_tonic_dominant_share"] == 1
    assert ending["final_tonic_triad_share"] == 1
    # ending on its dominant, the bass's longer time on A still makes A the tonic
    half = chorale_checks([chorale([a_minor, a_minor, e_major], fermatas={2})])
    assert half["fermata_tonic_dominant_share"] == 1
    assert half["final_tonic_triad_share"] == 0


def test_more_than_an_octave_between_upper_voices_is_wide_spacing():
    wide = (79, 64, 60, 48)  # G5 over E4
    checks = chorale_checks([chorale([C_MAJOR, wide])])
    assert checks["wide_spacing_share"] == pytest.approx(0.5)
    far_bass = (67, 64, 60, 36)  # only the bass far below: not counted
    assert chorale_checks([chorale([far_bass])])["wide_spacing_share"] == 0


def test_counts_and_empty_sets():
    checks = chorale_checks([chorale([C_MAJOR, G_MAJOR]), chorale([C_MAJOR])])
    assert checks["chorales"] == 2 and checks["frames"] == 12 and checks["notes"] == 12
    empty = chorale_checks([])
    assert empty["chorales"] == 0 and empty["triad_share"] is None


def test_voice_ranges_from_the_lowest_to_the_highest_notes():
    chorales = [chorale([C_MAJOR, G_MAJOR]), chorale([D_MINOR])]
    assert voice_ranges(chorales, percentiles=(0, 100)) == (
        (67, 69),
        (62, 65),
        (59, 62),
        (43, 50),
    )
    low, high = voice_ranges(chorales)[3]
    assert 43 <= low <= high <= 50


def test_compare_checks_sets_the_two_sets_side_by_side():
    rows = compare_checks({"frames": 8, "triad_share": 1.0}, {"frames": 16, "crossings": 2})
    assert rows == [("frames", 8, 16), ("triad_share", 1.0, None), ("crossings", None, 2)]


def test_compare_checks_leaves_figures_by_pair_to_their_own_table():
    rows = compare_checks({"frames": 8, "by_pair": {"a-b": 1.0}}, {"frames": 16, "by_pair": {}})
    assert rows == [("frames", 8, 16)]


def test_voice_leading_stats_has_each_part_figures_of_both_sets():
    training = [chorale([(67, 64, 60), (69, 65, 62)], names=TRIO)]
    generated = [chorale([(67, None, 60)], names=TRIO)]
    stats = voice_leading_stats(generated, training, training)
    assert stats["ranges"]["Viola"] == [64, 65]
    assert list(stats["part_figures"]["generated"]) == list(TRIO)
    assert stats["part_figures"]["generated"]["Viola"]["rest_share"] == 1
    assert stats["part_figures"]["held_out"]["Viola"]["mean_note_frames"] == 4
    assert all(not isinstance(value, dict) for row in stats["table"] for value in row)


def test_the_summary_page_sets_pairs_and_parts_side_by_side():
    trio = [chorale([(67, 64, 60), (69, 65, 62)], names=TRIO)]
    bits = dict.fromkeys(key for key, _ in CHORALE_COLUMNS)
    split = {"chorale": bits | {"voices": dict.fromkeys(TRIO, 1.0)}}
    page = chorale_sections(
        {"valid": split, "test": split}, {"voice_leading": voice_leading_stats(trio, trio, trio)}
    )
    assert "four voices" not in page and "held-out chorales" not in page
    assert '<td>Violin I-Violoncello</td><td class="number">12.500</td>' in page
    assert '<td>Viola</td><td class="number">0.000</td>' in page


def test_the_checks_do_not_need_torch():
    code = "import sys, musiclstm.evaluation.voice_leading; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
