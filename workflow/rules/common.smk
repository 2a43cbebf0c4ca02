from melodylstm.sources import dataset_files

SPLITS = ["train", "valid", "test"]


wildcard_constraints:
    shard=r"\d+",
    split="|".join(SPLITS),
    name=r"[A-Za-z0-9_-]+",


def source_files():
    """Every music file of every dataset: the song index is rebuilt when this list changes."""
    return sorted({str(path) for ds in config["sources"] for path in dataset_files(ds)})


def encoded_shards(kind):
    """The encoded (kind="encoded") or rejects (kind="rejects") tables of all shards."""
    suffix = ".tsv" if kind == "encoded" else ".rejects.tsv"
    return [
        f"results/encoded/shard_{shard}{suffix}"
        for shard in range(config["encoding"]["shards"])
    ]


def song_files(name, extension):
    """The files of one song of `generate:`: {name}.mid, or {name}_1.mid ... with n_samples > 1."""
    n = config["generate"][name]["n_samples"]
    if n == 1:
        return [f"results/generated/{name}.{extension}"]
    return [f"results/generated/{name}_{i}.{extension}" for i in range(1, n + 1)]


def generated_songs():
    return [path for name in config["generate"] for path in song_files(name, "mid")]
