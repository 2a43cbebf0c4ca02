from musiclstm.evaluation.music_stats import HISTOGRAMS
from musiclstm.data.sources import matched_files, music_file
from musiclstm.generation.seed_files import is_seed_file, seed_path
from musiclstm.model.recall_bands import (
    BANDS as RECALL_BANDS,
    LENGTHS as RECALL_LENGTHS,
)
from musiclstm.settings import SweepSettings, settings, source_settings
from musiclstm.textures import config_texture

SPLITS = ["train", "valid", "test"]
RESULTS = config["results_dir"]
# What the workflow learns and writes: every stage that depends on it asks this object.
TEXTURE = config_texture(config)


# Where every generated piece's files go, by kind: the one place these paths are written. They
# sit under results/ whatever `results_dir` says, so that pieces of every texture are found in
# one place, each telling in its .json what it is.
GENERATED = "results/generated"
PIECE_FILES = {
    "midi": "results/generated/{name}.mid",
    "tokens": "results/generated/{name}.txt",
    "info": "results/generated/{name}.json",
    "musicxml": "results/scores/{name}.musicxml",
    "svg": "results/scores/{name}.svg",
    "score_info": "results/scores/{name}.json",
    "wav": "results/audio/{name}.wav",
    "audio_info": "results/audio/{name}.json",
    "piano_roll": "results/plots/piano_roll/{name}.png",
    "page": "results/report/songs/{name}.html",
}


def piece_file(kind):
    """The path pattern (with `{name}`) of a generated piece's file of `kind`."""
    return PIECE_FILES[kind]


def stage(path):
    """A file of this workflow's stages, under `results_dir` (results/ unless the config moves
    them, as config/chorale.yaml does): runs of two textures keep their stages apart."""
    return f"{RESULTS}/{path}"


def stage_log(path):
    """A rule's log: logs/{path}, or logs/chorale/{path} where the stages are results/chorale."""
    return str(Path("logs", Path(RESULTS).relative_to("results"), path))


wildcard_constraints:
    shard=r"\d+",
    split="|".join(SPLITS),
    fold=r"[1-9]\d*",
    name=r"[A-Za-z0-9_-]+",


def source_files():
    """Every file the datasets' globs match (each is indexed, music or not): the song index is
    rebuilt when this list changes."""
    datasets = source_settings(config["sources"])
    return sorted({str(path) for ds in datasets for path in matched_files(ds)})


def encoded_shards(kind):
    """The encoded (kind="encoded") or rejects (kind="rejects") tables of all shards."""
    suffix = ".tsv" if kind == "encoded" else ".rejects.tsv"
    return [
        stage(f"encoded/shard_{shard}{suffix}")
        for shard in range(config["encoding"]["shards"])
    ]


def song_files(name, extension):
    """The files of one song of `generate:`: {name}.mid, or {name}_1.mid ... with n_samples > 1."""
    n = config["generate"][name]["n_samples"]
    if n == 1:
        return [f"{GENERATED}/{name}.{extension}"]
    return [f"{GENERATED}/{name}_{i}.{extension}" for i in range(1, n + 1)]


def generated_songs(extension="mid"):
    """The files of every song of `generate:` (but those made from files another run writes):
    their MIDI files, or those of `extension`."""
    return [
        path
        for name, song in config["generate"].items()
        if not made_elsewhere(song)
        for path in song_files(name, extension)
    ]


def melody_inputs(song):
    """The `melody:` file a song of `generate:` harmonises, as its input `melody`."""
    return {"melody": str(music_file(song["melody"]))} if song["melody"] else {}


def generation_inputs(song):
    """What a song of `generate:` is sampled from: the model the texture names for it (the
    harmoniser where it harmonises a `melody:` file, with that file)."""
    model = TEXTURE.generation_checkpoint(song)
    inputs = {"checkpoint": stage(f"{model}/checkpoint.pt")}
    if song["melody"]:
        # A harmonised melody's voices may take their compass from a training piece's.
        drawn = song["compass"] == "auto"
        inputs |= melody_inputs(song)
    else:
        # Each song's meter and length, or its upbeat, form and compass, are drawn from
        # training songs'.
        drawn = song["time_signature"] == "auto" or "auto" in (
            song["form"],
            song["upbeat"],
            song["compass"],
        )
    # A song that recalls its own past mixes in the recall the model's weights were fitted for.
    recall = {"recall": stage(f"{model}/recall.json")} if song["recall"] else {}
    return inputs | recall | ({"train": stage("data/train.npz")} if drawn else {})


def seed_inputs(song):
    """A song of `generate:` whose seed is a music file reads it as its input `seed`, so that a
    changed file reruns the song."""
    return {"seed": str(seed_path(song["seed"]))} if is_seed_file(song["seed"]) else {}


def made_elsewhere(song):
    """A song harmonising a generated file that this config does not make (the melody
    workflow's results/generated/song.mid, before `make song`): named as a target it is made,
    but `all` leaves it out rather than fail."""
    melody = song["melody"]
    return bool(melody) and melody.startswith("results/") and not Path(melody).exists()


def init_inputs(training):
    """The checkpoint a training rule starts from (`training.init_from`) as its input `init`,
    so that a changed file reruns training; none where training starts from scratch."""
    path = training["init_from"]
    if path is None:
        return {}
    if Path(path) == Path(stage("model/checkpoint.pt")):
        raise ValueError(
            f"training.init_from: {path} is the checkpoint this run writes; start from another "
            "run's (give this run its own `results_dir`) or from a copy"
        )
    return {"init": path}


def harmoniser_start():
    """The model that composes as the harmoniser's input `init`, where the harmoniser starts from
    it (`harmoniser.start_from_model`)."""
    return (
        {"init": stage("model/checkpoint.pt")}
        if config["harmoniser"]["start_from_model"]
        else {}
    )


def harmoniser_training():
    """The training settings the harmoniser changes: its start, epochs and learning rate."""
    harmoniser = config["harmoniser"]
    return {
        "init_from": harmoniser_start().get("init"),
        "epochs": harmoniser["epochs"] or config["training"]["epochs"],
        "learning_rate": harmoniser["learning_rate"]
        or config["training"]["learning_rate"],
    }


def baseline_inputs(data="data"):
    """The evaluation of a texture with a baseline (a chorale's n-gram) fits it on the training
    pieces (those of `data`, a cross-validation fold's for its model)."""
    return {"train": stage(f"{data}/train.npz")} if TEXTURE.baseline_split() else {}


def split_params():
    """The split settings of the main workflow's split, without `folds`: setting up a
    cross-validation reruns nothing of the main workflow."""
    return {key: value for key, value in config["split"].items() if key != "folds"}


def split_works():
    """Each source's `work` (name -> song, file or folder): which songs `split.by: work` deals
    together."""
    return {source["name"]: source["work"] for source in config["sources"]}


def cv_folds():
    """The folds of the cross-validation, 1 to `split.folds`; fails naming the key where none
    is set."""
    folds = config["split"]["folds"]
    if not folds:
        raise ValueError(
            f"{stage('cv')}: config.yaml sets no cross-validation; give split.folds: K "
            "(2 or more folds)"
        )
    return list(range(1, folds + 1))


def fold_files(path):
    """`path` of every fold of the cross-validation: results/cv/fold_{k}/{path}, k = 1 ... K."""
    return [stage(f"cv/fold_{fold}/{path}") for fold in cv_folds()]


def cv_fold(wildcards):
    """A params function: the fold {fold} as a number, one of the folds `split.folds` makes."""
    fold = int(wildcards.fold)
    if fold not in cv_folds():
        raise ValueError(
            f"{stage(f'cv/fold_{fold}')}: split.folds: {len(cv_folds())} makes folds 1 to "
            f"{len(cv_folds())}"
        )
    return fold


def cross_validation_summary():
    """The summary page's cross-validation, where `split.folds` is set and a run has made the
    summary: `all` does not train the folds, but keeps a summary that exists up to date.
    """
    path = stage("cv/summary.json")
    if config["split"]["folds"] and Path(path).exists():
        return {"cross_validation": path}
    return {}


def texture_results():
    """What `all` adds for a texture: a chorale run's harmoniser, scored."""
    return [stage(path) for path in TEXTURE.extra_targets()]


def histogram_plots():
    """The plot of every histogram of the musical statistics: results/plots/{histogram}.png."""
    return expand(stage("plots/{histogram}.png"), histogram=HISTOGRAMS)


from musiclstm.sweeps.grid import sweep_points
from musiclstm.sweeps.points import point_settings as sweep_point_settings

# Every sweep's points, expanded (and checked, naming a bad key) when the workflow is read.
SWEEPS = {
    name: sweep_points(name, settings(SweepSettings, sweep))
    for name, sweep in config["sweeps"].items()
}


def points_of(sweep):
    """The point names of a sweep, in the order of sweep_files; fails naming an unknown sweep."""
    if sweep not in SWEEPS:
        known = ", ".join(SWEEPS) or "none"
        raise ValueError(
            f"results/sweeps/{sweep}: config.yaml has no sweep {sweep!r} under `sweeps:` "
            f"(it has: {known})"
        )
    return SWEEPS[sweep]


def sweep_files(sweep, filename):
    """`filename` of every point of a sweep: results/sweeps/{sweep}/{point}/{filename}."""
    return [stage(f"sweeps/{sweep}/{point}/{filename}") for point in points_of(sweep)]


def sweep_point_state(wildcards):
    """A params function: the training state of the point {point} of the sweep {sweep}."""
    return stage(f"sweeps/{wildcards.sweep}/{wildcards.point}/training_state.pt")


def point_settings(point):
    """A sweep point's model and training settings: from its name and the base config only."""
    return sweep_point_settings(point, config)


def best_song_files(name, extension):
    """The files of one song of `generate:` sampled from a sweep's best point."""
    return [
        path.replace(f"{GENERATED}/", stage("sweeps/{sweep}/best/"))
        for path in song_files(name, extension)
    ]


def generated_names():
    """Every generated song as the stem of its files: {name}, or {name}_1 ... {name}_n."""
    return [Path(path).stem for path in generated_songs()]


def generate_entry(stem):
    """The `generate:` entry that a generated song ({name} or {name}_{i}) comes from."""
    for name in config["generate"]:
        if piece_file("midi").format(name=stem) in song_files(name, "mid"):
            return config["generate"][name]
    raise ValueError(f"{stem!r} is not a song of config's generate: section")


def report_files():
    """The pages, scores, sounds and plots of the report (all of `snakemake --report`)."""
    songs = generated_names()
    return (
        [stage("report/summary.html"), stage("plots/loss.png")]
        + histogram_plots()
        + expand(piece_file("page"), name=songs)
        + expand(piece_file("svg"), name=songs)
    )


def song_setting(key):
    """A params function: the value of `key` in the `generate:` entry of the song {name}."""
    return lambda wildcards: generate_entry(wildcards.name)[key]


def comparison_entry():
    """The entry of `generate:` whose settings write the pieces set beside the held-out ones
    (`distinguishability.entry`; auto: `song` where there is one), or None."""
    entry = config["distinguishability"]["entry"]
    if entry == "auto":
        return "song" if "song" in config["generate"] else None
    return entry


def comparison_checkpoint():
    """The model that writes the pieces of the comparison."""
    entry = comparison_entry()
    model = (
        TEXTURE.generation_checkpoint(config["generate"][entry]) if entry else "model"
    )
    return stage(f"{model}/checkpoint.pt")


def comparison_recall():
    """The recall weights of the comparison's model, where its entry recalls its own past."""
    entry = comparison_entry()
    if not entry or not config["generate"][entry]["recall"]:
        return {}
    return {"recall": comparison_checkpoint().replace("checkpoint.pt", "recall.json")}


def comparison_inputs():
    """music_stats's inputs of the comparison (none without an entry)."""
    if comparison_entry() is None:
        return {}
    return {
        "comparison": stage("evaluation/comparison/pieces.txt"),
        "comparison_meters": stage("evaluation/comparison/meters.json"),
    }
