"""Token batches for training: right-padded rows with a mask of the tokens that count for the loss.

>>> rows = pad_rows([([5, 6], [7, 8, 9]), ([5], [7])], pad_id=0)
>>> rows.input_ids.tolist()
[[5, 6, 7, 8, 9], [5, 7, 0, 0, 0]]
>>> rows.loss_mask.tolist()  # aligned with the labels input_ids[:, 1:]: the tokens after the prompt
[[0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import torch

__all__ = ["TokenRows", "pack_rows", "pad_rows"]


@attrs.frozen
class TokenRows:
    input_ids: torch.Tensor  # (B, L)
    attention_mask: torch.Tensor  # (B, L)
    #: (B, L-1): 1.0 where the label ``input_ids[:, 1:]`` is a completion token that the loss counts.
    loss_mask: torch.Tensor

    def to(self, device: torch.device) -> TokenRows:
        return TokenRows(self.input_ids.to(device), self.attention_mask.to(device), self.loss_mask.to(device))

    def select(self, index: torch.Tensor | slice) -> TokenRows:
        """The rows ``index`` picks (a slice, or a tensor of row numbers), in that order."""
        return TokenRows(self.input_ids[index], self.attention_mask[index], self.loss_mask[index])

    @property
    def width(self) -> int:
        """The longest row's length: the columns after it are padding in every row."""
        return int(self.attention_mask.sum(dim=1).max()) if len(self.input_ids) else 0

    def trimmed(self) -> TokenRows:
        """The rows without the padding columns that no row uses: right padding never changes the logits
        of the tokens before it, so a micro-batch of short rows costs what its rows need."""
        width = self.width
        return TokenRows(self.input_ids[:, :width], self.attention_mask[:, :width], self.loss_mask[:, : width - 1])

    @property
    def labels(self) -> torch.Tensor:
        """Hugging Face style labels: the input ids with -100 where the loss does not count."""
        labels = self.input_ids.clone()
        labels[:, 0] = -100
        labels[:, 1:][self.loss_mask == 0] = -100
        return labels


def pad_rows(pairs: Sequence[tuple[Sequence[int], Sequence[int]]], *, pad_id: int) -> TokenRows:
    """One row per (prompt ids, completion ids) pair, padded on the right to the longest."""
    length = max(len(p) + len(c) for p, c in pairs)
    ids = torch.full((len(pairs), length), pad_id, dtype=torch.long)
    attention = torch.zeros((len(pairs), length), dtype=torch.long)
    mask = torch.zeros((len(pairs), length - 1), dtype=torch.float32)
    for row, (prompt, completion) in enumerate(pairs):
        tokens = list(prompt) + list(completion)
        ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        attention[row, : len(tokens)] = 1
        mask[row, len(prompt) - 1 : len(tokens) - 1] = 1.0
    return TokenRows(ids, attention, mask)


def pack_rows(pairs: Sequence[tuple[Sequence[int], Sequence[int]]], *, length: int, pad_id: int) -> TokenRows:
    """Examples concatenated into rows of ``length`` tokens (the last row padded), so no compute is spent on
    padding. Attention is causal across the whole row, as in the usual packing of SFT data; an example that
    does not fit in the current row starts a new one."""
    rows: list[tuple[list[int], list[float]]] = []
    tokens: list[int] = []
    counts: list[float] = []
    for prompt, completion in pairs:
        example = list(prompt) + list(completion)
        if tokens and len(tokens) + len(example) > length:
            rows.append((tokens, counts))
            tokens, counts = [], []
        tokens.extend(example)
        counts.extend([0.0] * len(prompt) + [1.0] * len(completion))
    if tokens:
        rows.append((tokens, counts))
    width = min(length, max(len(t) for t, _ in rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width - 1), dtype=torch.float32)
    for row, (row_tokens, row_counts) in enumerate(rows):
        row_tokens, row_counts = row_tokens[:width], row_counts[:width]
        ids[row, : len(row_tokens)] = torch.tensor(row_tokens, dtype=torch.long)
        attention[row, : len(row_tokens)] = 1
        mask[row, : len(row_tokens) - 1] = torch.tensor(row_counts[1:], dtype=torch.float32)
    return TokenRows(ids, attention, mask)
