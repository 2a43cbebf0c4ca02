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


def generated_songs():
    return expand("results/generated/{name}.mid", name=config["generate"])
