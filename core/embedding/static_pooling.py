"""model2vec's mean pooling, computed a distinct word at a time instead of a token at a time.

A static model's vector for a text is the mean of its WordPiece tokens' rows (then L2-normalised).
BERT's tokenizer cuts a text at whitespace (and then at punctuation) and runs WordPiece on each piece
alone, so a piece's tokens never depend on its neighbours. In a corpus a few tens of thousands of
distinct pieces make up millions of occurrences: each distinct piece is tokenised once (by the
model's own tokenizer, which also splits its punctuation), and a text's tokens are its pieces'
tokens laid end to end. The tokens' sum is one sparse product (texts x vocabulary, one entry per
token in the text's order, summed in that order: the same float32 additions as model2vec's mean),
then the same truncation, division, float16 rounding and normalisation model2vec does. The vectors
are model2vec's, bit for bit (``tests/test_static_embedder.py`` checks corpora and edge cases); the
tokenizer's CPU time, most of the cost, falls about fourfold.

Only texts of printable ASCII (and tab, newline, carriage return) take this path: for them BERT's
normalisation is ``str.lower`` and its whitespace is ``str.split``'s. A text with any other
character (accents, other scripts, control characters) or with a special token's text (``[UNK]``,
which the tokenizer reads as that token) goes through model2vec itself, as do all texts of a model
this reading does not fit (:func:`poolable`: a cased tokenizer, per-token weights).
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
from scipy import sparse

#: Texts that take the word path: printable ASCII, tab, newline and carriage return only.
_OTHER_CHARS = re.compile(r"[^\t\n\r\x20-\x7e]")
#: Distinct pieces remembered between calls (a bound on memory for unending streams of new words).
_MAX_WORDS = 2_000_000


def poolable(model: Any) -> bool:
    """Whether :class:`WordPooler` computes ``model``'s vectors: a plain mean of its token rows (no
    per-token weights or token mapping) behind BERT's lowercasing normaliser and pre-tokeniser, for
    which this module's reading of the text (``str.lower``, ``str.split``) is the tokenizer's own.
    Other model2vec models are pooled by model2vec."""
    import json

    try:
        spec = json.loads(model.tokenizer.to_str())
    except (AttributeError, ValueError, TypeError):
        return False
    normaliser, pre = spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}
    return (getattr(model, "weights", None) is None and getattr(model, "token_mapping", None) is None
            and normaliser.get("type") == "BertNormalizer" and normaliser.get("lowercase") is True
            and normaliser.get("strip_accents") in (None, True) and pre.get("type") == "BertPreTokenizer")


class WordPooler:
    """A model2vec ``StaticModel``'s ``encode`` for many texts, by distinct words (module doc).

    Not thread-safe on its own: the caller holds a lock (the word table grows as texts arrive)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._poolable = poolable(model)
        self._table = np.asarray(model.embedding, dtype=np.float32)  # float16 -> float32 is exact
        self._unk = model.unk_token_id
        self._max_tokens = model.max_length
        self._max_chars = (None if model.max_length is None else model.max_length * model.median_token_length)
        added = [token.content for token in model.tokenizer.get_added_tokens_decoder().values()]
        # a special token's text ("[UNK]", "[SEP]", ...) is the tokenizer's to read
        self._special = re.compile("|".join(map(re.escape, added)), re.IGNORECASE) if added else None
        self._index: dict[str, int] = {}  # word -> its row in the word tables
        # piece w's tokens are _tokens[_starts[w]:_starts[w + 1]]; both are views of buffers that grow
        # by doubling (a corpus adds new pieces in every call)
        self._starts_buf, self._tokens_buf = np.zeros(1024, np.int64), np.zeros(4096, np.int64)
        self._starts, self._tokens = self._starts_buf[:1], self._tokens_buf[:0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (n, dim) in the model's dtype, as ``StaticModel.encode(texts)`` returns them."""
        model = self._model
        if not self._poolable:
            return model.encode(list(texts), use_multiprocessing=False, batch_size=4096)
        out = np.zeros((len(texts), model.dim), dtype=model.embedding.dtype)
        if self._max_chars is not None:
            texts = [text[:self._max_chars] for text in texts]
        other, words_of, rows = [], [], []
        special = self._special.search if self._special else (lambda text: None)
        for row, text in enumerate(texts):
            if _OTHER_CHARS.search(text) or special(text):
                other.append(row)
            else:
                words_of.append(text.lower().split())
                rows.append(row)
        if rows:
            out[rows] = self._pool(words_of)
        if other:
            out[other] = model.encode([texts[r] for r in other], use_multiprocessing=False, batch_size=4096)
        return out

    def _pool(self, words_of: list[list[str]]) -> np.ndarray:
        """Each text's words -> its model2vec vector (n, dim), model dtype."""
        model = self._model
        lengths = np.fromiter((len(w) for w in words_of), np.int64, len(words_of))
        flat = [word for words in words_of for word in words]
        word_ids = self._word_ids(flat)
        # every text's tokens, its words' tokens end to end
        per_word = np.diff(self._starts)[word_ids]
        first = self._starts[word_ids]
        total = int(per_word.sum())
        ends = np.cumsum(per_word)
        within = np.arange(total) - np.repeat(ends - per_word, per_word)
        tokens = self._tokens[np.repeat(first, per_word) + within]
        word_text = np.repeat(np.arange(len(lengths)), lengths)
        per_text = np.bincount(word_text, weights=per_word, minlength=len(lengths)).astype(np.int64)
        text_of = np.repeat(np.arange(len(lengths)), per_text)
        position = np.arange(total) - np.repeat(np.cumsum(per_text) - per_text, per_text)
        keep = np.ones(total, bool) if self._max_tokens is None else position < self._max_tokens
        if self._unk is not None:
            keep &= tokens != self._unk  # model2vec drops [UNK] after truncating
        tokens, text_of = tokens[keep], text_of[keep]
        counts = np.bincount(text_of, minlength=len(lengths))
        indptr = np.concatenate([[0], np.cumsum(counts)])
        ones = np.ones(len(tokens), np.float32)
        bag = sparse.csr_matrix((ones, tokens, indptr), shape=(len(lengths), len(self._table)))
        sums = np.asarray(bag @ self._table, dtype=np.float32)  # each row's tokens added in its order
        out = np.zeros((len(lengths), model.dim), dtype=model.embedding.dtype)
        some = counts > 0
        out[some] = (sums[some] / counts[some, None].astype(np.float32)).astype(out.dtype)
        if model.normalize:  # model2vec's own normalisation, as it writes it
            out32 = out.astype(np.float32)
            norm = np.linalg.norm(out32, axis=1, keepdims=True) + 1e-32
            out = (out32 / norm).astype(out.dtype)
        return out

    def _word_ids(self, words: list[str]) -> np.ndarray:
        """Rows of ``words`` in the word tables, tokenising the words not seen before (one batch)."""
        index = self._index
        new = list(set(words).difference(index))  # their order only lays out the tables
        if new:
            if len(index) + len(new) > _MAX_WORDS:
                index.clear()
                self._starts, self._tokens = self._starts[:1], self._tokens[:0]
                new = list(set(words))
            encodings = self._model.tokenizer.encode_batch_fast(new, add_special_tokens=False)
            ids = [encoding.ids for encoding in encodings]
            counts = np.fromiter((len(i) for i in ids), np.int64, len(ids))
            base = len(index)
            index.update(zip(new, range(base, base + len(new))))
            tokens = np.fromiter((t for i in ids for t in i), np.int64, int(counts.sum()))
            self._tokens_buf = _grown(self._tokens_buf, len(self._tokens), tokens)
            self._tokens = self._tokens_buf[:len(self._tokens) + len(tokens)]
            self._starts_buf = _grown(self._starts_buf, len(self._starts), self._starts[-1] + np.cumsum(counts))
            self._starts = self._starts_buf[:len(self._starts) + len(counts)]
        return np.fromiter(map(index.__getitem__, words), np.int64, len(words))


def _grown(buffer: np.ndarray, used: int, values: np.ndarray) -> np.ndarray:
    """``buffer`` with ``values`` written after its first ``used`` entries; a buffer twice as large
    (or as large as needed) when they do not fit, so that appends cost amortised constant time."""
    need = used + len(values)
    if need > len(buffer):
        bigger = np.zeros(max(2 * len(buffer), need), buffer.dtype)
        bigger[:used] = buffer[:used]
        buffer = bigger
    buffer[used:need] = values
    return buffer
