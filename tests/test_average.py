"""Several models as one (musiclstm.model.average): the mean of their distributions."""

import torch

from musiclstm.model.average import ModelAverage
from musiclstm.model.lstm import StepLSTM
from musiclstm.model.recall import Recall

VOCAB = 9


def models() -> list[StepLSTM]:
    torch.manual_seed(0)
    return [StepLSTM(VOCAB, 4, 8, 1, 0.0).eval() for _ in range(3)]


def test_the_average_is_the_mean_of_the_probabilities_and_steps_as_it_passes():
    tokens = torch.randint(0, VOCAB, (2, 15))
    inputs = torch.zeros(2, 15, 0, dtype=torch.long)
    members = models()
    average = ModelAverage(members)
    with torch.no_grad():
        whole, _ = average(tokens, inputs, average.start(torch.full_like(tokens, -1)))
        each = torch.stack([torch.softmax(m(tokens, inputs)[0], -1) for m in members])
        assert torch.allclose(whole.exp(), each.mean(0), atol=1e-6)
        # Not the distribution of any one of them.
        assert not torch.allclose(whole.exp(), each[0], atol=1e-3)
        state, stepped = average.start(torch.full_like(tokens, -1)), []
        for t in range(tokens.shape[1]):
            logits, state = average.stepper()(tokens[:, t], inputs[:, t], state)
            stepped.append(logits)
    assert torch.allclose(torch.stack(stepped, 1), whole, atol=1e-5)


def test_members_with_states_of_different_sizes_split_back_after_rows_are_picked():
    """One member carries more state than the other (recall keeps the piece so far) and a
    sampler picks rows as beam search does: each member still gets its own state back."""
    tokens = torch.randint(0, VOCAB, (3, 12))
    inputs = torch.zeros(3, 12, 0, dtype=torch.long)
    plain, inner = models()[:2]
    recalling = Recall(inner, (0.0, 0.3, 0.5, 0.7, 0.9, 0.9, 0.9, 0.9), VOCAB)
    average = ModelAverage([plain, recalling])
    order = torch.tensor([2, 0, 1])
    with torch.no_grad():
        # A state made before another pass runs still splits as it was made.
        state = average.start(torch.full_like(tokens, -1))
        whole, _ = average(tokens[order], inputs[order], average.start(tokens[order] * 0 - 1))
        stepped = []
        for t in range(tokens.shape[1]):
            if t == 5:  # rows reordered half way, every state tensor alike
                state = tuple(part[:, order] for part in state)
                tokens, inputs = tokens[order], inputs[order]
            logits, state = average.stepper()(tokens[:, t], inputs[:, t], state)
            stepped.append(logits)
    assert torch.allclose(torch.stack(stepped, 1)[:, 5:], whole[:, 5:], atol=1e-5)
