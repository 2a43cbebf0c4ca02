"""Sampling new melodies from a trained model, one step at a time with the LSTM state carried."""

from __future__ import annotations

import torch

from .model import MelodyLSTM
from .tokens import parse_token_string
from .vocabulary import Vocabulary


def check_seed(seed: str, vocabulary: Vocabulary, song: str = "song") -> list[str]:
    """The seed melody's tokens; a token the model does not know is named with what is allowed."""
    tokens = parse_token_string(seed, what=f"seed of {song!r}")
    allowed = vocabulary.music_tokens()
    for position, token in enumerate(tokens):
        if token not in allowed:
            raise ValueError(
                f"seed of {song!r}: token {token!r} at position {position} is not in the model's "
                f"vocabulary; allowed tokens are: {' '.join(allowed)}"
            )
    return tokens


@torch.no_grad()
def sample_melody(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    steps: int,
    temperature: float,
    random_seed: int,
) -> list[str]:
    """The seed followed by up to ``steps`` sampled tokens; stops early at the song boundary.

    The logits are divided by the temperature before the softmax (below 1 sharpens, above 1
    flattens). The unknown token is never sampled.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be above 0, not {temperature}")
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu").manual_seed(random_seed)
    primer = torch.tensor([[vocabulary.boundary, *vocabulary.encode(seed_tokens)]], device=device)
    logits, state = model(primer)
    last = logits[0, -1]
    generated: list[str] = []
    for _ in range(steps):
        scaled = last.float().cpu() / temperature
        scaled[vocabulary.unknown] = -torch.inf
        choice = int(torch.multinomial(torch.softmax(scaled, dim=-1), 1, generator=generator))
        if choice == vocabulary.boundary:
            break
        generated.append(vocabulary.tokens[choice])
        logits, state = model(torch.tensor([[choice]], device=device), state)
        last = logits[0, -1]
    return seed_tokens + generated


def generate_song(
    checkpoint_path, song: dict, midi_path, tokens_path, name: str = "song"
) -> list[str]:
    """Sample the song that ``song`` (an entry of ``generate:``) asks for; write MIDI and tokens."""
    from pathlib import Path

    from .midi import write_midi
    from .model import load_checkpoint

    model, checkpoint = load_checkpoint(checkpoint_path)
    vocabulary = Vocabulary(checkpoint["vocabulary"])
    seed = check_seed(song["seed"], vocabulary, name)
    tokens = sample_melody(
        model, vocabulary, seed, song["steps"], song["temperature"], song["random_seed"]
    )
    Path(tokens_path).write_text(" ".join(tokens) + "\n")
    write_midi(
        tokens,
        midi_path,
        step=checkpoint["config"]["encoding"]["time_step"],
        tempo_bpm=song["tempo_bpm"],
        time_signature=song["time_signature"],
    )
    return tokens
