"""Cluster names people understand: c-TF-IDF candidates over words and word pairs, generic words
demoted, re-ranked by meaning (KeyBERT-style) and thinned for diversity (maximal marginal relevance).

The steps, each a small function:

1. :func:`phrase_counts`: words and word pairs per text (English stop words removed), once per corpus.
2. :func:`ctfidf` with frequent-word reduction (BERTopic's ``reduce_frequent_words``: the square root
   of a cluster's term frequency), times :func:`distinctiveness`, which is 0 for a word spread over
   the clusters as evenly as the texts are and 1 for a word found in one cluster only. "said" is
   frequent in every news topic, so it scores near 0 everywhere and never names a cluster.
3. :func:`candidates`: the top few dozen phrases of each cluster by that score (so embedding them is cheap).
4. The candidates are embedded by the corpus's own sentence model and ranked by cosine similarity to
   the cluster's centre in that space (KeyBERT), then :func:`mmr` picks a diverse few (a phrase that
   repeats a word already picked is skipped).
5. :func:`unique_heads`: a word in the first ``words`` keywords of several clusters is kept only where it
   is most distinctive, so the shown names tell the clusters apart.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Callable

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from core.storage.cache import StageCache
from core.config import EmbedConfig
from core.naming.describe import TOKENS, Terms, ctfidf, per_cluster
from core.embedding import embed as embedding
from core.embedding.embed import Embedder, embed_texts
from core.storage.results import stage_key
from core.storage.store import EmbeddingStore

log = logging.getLogger(__name__)

#: embed(phrases) -> (m, dim) L2-normalised vectors, by the corpus's own sentence model.
PhraseEmbedder = Callable[[list[str]], np.ndarray]
#: Bumped whenever naming changes its output for the same inputs (the stage cache then misses).
NAMES_RECIPE = 4
#: A phrase must occur this often in a cluster to name it (where the cluster has such phrases).
MIN_COUNT = 2


_PIECES = re.compile(r"[\w'-]+|[^\w\s]")  # words (with digits) and single punctuation marks, in order
_WORD = re.compile(TOKENS)


def phrases_of(text: str) -> list[str]:
    """The words of ``text`` (2+ characters, starting with a letter, not an English stop word) and
    the pairs of such words that stand side by side in it: "Bank of England" gives no pair, "central
    bank" does; a number or punctuation between two words breaks the pair, so every pair is literal."""
    pieces = _PIECES.findall(text.lower())
    good = [bool(_WORD.fullmatch(p)) and p not in ENGLISH_STOP_WORDS for p in pieces]
    words = [p for p, g in zip(pieces, good) if g]
    return words + [f"{a} {b}" for a, b, ga, gb in zip(pieces, pieces[1:], good, good[1:]) if ga and gb]


def phrase_counts(texts: list[str], *, max_features: int = 60_000) -> Terms:
    """(n, vocab) counts of the words and word pairs of ``texts`` (see :func:`phrases_of`).

    A pair must occur in at least two texts (a pair seen once is noise, and it would swamp the
    vocabulary); a word need not. An empty vocabulary is allowed."""
    vec = CountVectorizer(analyzer=phrases_of, dtype=np.float32)
    try:
        counts = vec.fit_transform(texts).tocsr()
    except ValueError:  # no words at all
        return Terms(sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object))
    words = vec.get_feature_names_out()
    df = np.diff(counts.tocsc().indptr)
    keep = np.flatnonzero(np.array([" " not in w for w in words]) | (df >= min(2, len(texts) // 20 + 1)))
    if len(keep) > max_features:  # the most frequent ones
        keep = np.sort(keep[np.argsort(-np.asarray(counts[:, keep].sum(axis=0)).ravel(), kind="stable")[:max_features]])
    return Terms(counts[:, keep], words[keep])


def distinctiveness(counts: np.ndarray) -> np.ndarray:
    """(k, vocab) in [0, 1]: how much more of a phrase a cluster holds than its share of all phrases.

    ``(p(c | w) - p(c)) / (1 - p(c))`` clipped at 0, with p(c) the cluster's share of all phrase
    occurrences: 0 when the phrase is spread like the text itself (a generic word such as "said"),
    1 when every occurrence is in cluster c."""
    share = counts.sum(axis=1, keepdims=True) / max(counts.sum(), 1.0)          # (k, 1): p(c)
    p_c_given_w = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1.0)   # (k, vocab)
    return np.clip((p_c_given_w - share) / np.maximum(1 - share, 1e-9), 0.0, 1.0)


def candidate_scores(counts: np.ndarray, *, reduce_frequent: bool = True, min_distinct: float = 0.1) -> np.ndarray:
    """(k, vocab): c-TF-IDF times distinctiveness; 0 for phrases that do not tell a cluster apart
    (distinctiveness under ``min_distinct``: a word in every cluster is no name, even where the
    clusters' sizes make its share a little above theirs)."""
    spread = distinctiveness(counts)
    spread[spread < min_distinct] = 0.0
    return ctfidf(counts, reduce_frequent=reduce_frequent) * spread


def generic_phrases(terms: Terms, counts: np.ndarray, *, min_distinct: float = 0.1) -> np.ndarray:
    """(vocab,) bool: phrases holding a word that tells no cluster apart (its distinctiveness is under
    ``min_distinct`` in every cluster), such as a pair "said coach" made of a topic word and a generic one."""
    spread = distinctiveness(counts).max(axis=0)
    index = {str(w): i for i, w in enumerate(terms.words)}
    flat = {w for w, i in index.items() if " " not in w and spread[i] < min_distinct}
    return np.array([bool(flat & set(str(w).split())) for w in terms.words], dtype=bool)


def candidates(scores: np.ndarray, *, top: int = 25) -> list[np.ndarray]:
    """For each cluster: up to ``top`` vocabulary indices with a positive score, best first."""
    out = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:top]
        out.append(order[row[order] > 0])
    return out


def mmr(relevance: np.ndarray, vectors: np.ndarray, phrases: list[str], *, top: int = 8,
        diversity: float = 0.5) -> list[int]:
    """Maximal marginal relevance: positions of up to ``top`` of the m candidates, chosen in order.

    Each step takes the candidate maximising ``(1 - diversity) * relevance - diversity * (its highest
    cosine similarity to one already chosen)``; ``vectors`` (m, dim) are L2-normalised. A phrase that
    shares a word with one already chosen ("oil" after "oil prices") is skipped while others remain."""
    m = len(relevance)
    if m == 0:
        return []
    sims = vectors @ vectors.T
    tokens = [set(p.split()) for p in phrases]
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(top, m):
        left = np.array([i for i in range(m) if i not in chosen])
        fresh = np.array([not any(tokens[i] & tokens[j] for j in chosen) for i in left])
        if not fresh.any():
            break
        left = left[fresh]
        value = (1 - diversity) * relevance[left] - diversity * sims[np.ix_(left, chosen)].max(axis=1)
        chosen.append(int(left[np.argmax(value)]))
    return chosen


def centres(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, dim) L2-normalised mean of each cluster's rows of (n, dim) ``X`` (zeros for an empty cluster)."""
    out = np.zeros((k, X.shape[1]), np.float32)
    for c in range(k):
        rows = labels == c
        if rows.any():
            mean = X[rows].mean(axis=0)
            out[c] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def unique_heads(keywords: list[list[str]], strength: list[dict[str, float]], *, words: int = 3) -> list[list[str]]:
    """Keep each word in the first ``words`` keywords of one cluster only: where it is most distinctive
    (``strength[c][phrase]``); elsewhere the phrase moves behind the head, so the next one shows.
    Repeated a few times, since a phrase moving up may clash in turn (a cluster whose list runs out
    keeps what it has)."""
    for _ in range(words + 1):
        moved = _unique_heads_once(keywords, strength, words)
        if moved == keywords:
            break
        keywords = moved
    return keywords


def _unique_heads_once(keywords: list[list[str]], strength: list[dict[str, float]], words: int) -> list[list[str]]:
    owner: dict[str, tuple[float, int]] = {}
    for c, phrases in enumerate(keywords):
        for p in phrases[:words]:
            for w in p.split():
                best = owner.get(w)
                if best is None or strength[c].get(p, 0.0) > best[0]:
                    owner[w] = (strength[c].get(p, 0.0), c)
    out = []
    for c, phrases in enumerate(keywords):
        clash = [p for p in phrases[:words] if any(owner.get(w, (0, c))[1] != c for w in p.split())]
        out.append([p for p in phrases if p not in clash] + clash)
    return out


def name_keywords(terms: Terms, labels: np.ndarray, k: int, X: np.ndarray, embed: PhraseEmbedder | None, *,
                  top: int = 8, pool: int = 25, diversity: float = 0.5, words: int = 3, blend: float = 0.5,
                  generic: int = 10) -> list[list[str]]:
    """``k`` keyword lists (best first) for the (n,) ``labels`` of the texts counted in ``terms``.

    ``X`` (n, dim) are the texts' embeddings; ``embed`` embeds the candidate phrases with the same
    model (None: candidates keep their c-TF-IDF order, still thinned by words). ``pool`` candidates per
    cluster are embedded, so the cost is at most k * pool short phrases."""
    if not len(terms.words):
        return [[] for _ in range(k)]
    counts = per_cluster(terms, labels, k)
    scores = candidate_scores(counts)
    scores[:, generic_phrases(terms, counts)] = 0.0  # "said coach" is no name, as "said" is none
    keywords, pools = _ranked(terms, scores, counts, lambda: centres(np.asarray(X, dtype=np.float32), labels, k),
                              embed, top=top, pool=pool, diversity=diversity, blend=blend, generic=generic)
    strength = [{str(terms.words[i]): float(scores[c, i]) for i in pools[c]} for c in range(k)]
    return unique_heads(keywords, strength, words=words)


def _ranked(terms: Terms, scores: np.ndarray, counts: np.ndarray, middle: Callable[[], np.ndarray],
            embed: PhraseEmbedder | None, *, top: int, pool: int, diversity: float, blend: float,
            generic: int) -> tuple[list[list[str]], list[np.ndarray]]:
    """(keyword lists, the candidates' vocabulary indices) for the m rows of (m, vocab) candidate ``scores`` (changed in place: rare phrases and
    the corpus's most frequent words demoted), the m groups' phrase ``counts`` beside them: the ``pool``
    best of each re-ranked by closeness to the group's centre (``middle()``: (m, dim) L2-normalised, in
    the space ``embed`` embeds phrases in) and thinned by maximal marginal relevance."""
    m = len(scores)
    rare = counts < MIN_COUNT  # a phrase seen once in a cluster is a typo or an aside, not its topic
    rare[~(scores * ~rare > 0).any(axis=1)] = False  # unless the cluster has nothing else
    scores[rare] = 0.0
    common = set(top_words(terms, generic)) if generic else set()
    demote = np.array([bool(common & set(str(w).split())) for w in terms.words], dtype=bool)
    scores[:, demote] *= 1e-3  # the corpus's most frequent words: behind every other candidate
    pools = candidates(scores, top=pool)
    phrases = [[str(terms.words[i]) for i in idx] for idx in pools]
    every = sorted({p for ps in phrases for p in ps})
    if embed is not None and every:
        vectors = np.asarray(embed(every), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        row = {p: i for i, p in enumerate(every)}
        centre = middle()
    keywords = []
    for c in range(m):
        if not len(phrases[c]):
            keywords.append([])
            continue
        if embed is not None:
            V = vectors[[row[p] for p in phrases[c]]]
            tfidf = scores[c, pools[c]] / max(float(scores[c, pools[c]].max()), 1e-12)
            relevance = (1 - blend) * (V @ centre[c]) + blend * tfidf
        else:  # the c-TF-IDF order, as relevance in [0, 1]
            V = np.eye(len(phrases[c]), dtype=np.float32)
            relevance = scores[c, pools[c]] / max(float(scores[c, pools[c]].max()), 1e-12)
        relevance = relevance - 2.0 * demote[pools[c]]  # the corpus's most frequent words only when nothing else
        picked = mmr(relevance, V, phrases[c], top=top, diversity=diversity)
        keywords.append([phrases[c][i] for i in picked])
    return keywords, pools


def group_scores(groups: np.ndarray, counts: np.ndarray, *, min_distinct: float = 0.1) -> np.ndarray:
    """(m, vocab) candidate scores of m groups of clusters, each against the whole corpus: c-TF-IDF
    (the square root of the group's term frequency times the clusters' idf) times the group's
    distinctiveness (its share of a phrase beyond its share of all phrases). ``groups`` (m, vocab) are
    the groups' phrase counts, ``counts`` (k, vocab) the clusters'. The groups may overlap (the nodes
    of a tree): each is scored as if it alone were merged (BERTopic's local representation of a merge)."""
    groups = np.asarray(groups, dtype=np.float64)
    totals = counts.sum(axis=0)                                                   # (vocab,)
    tf = np.sqrt(groups / np.maximum(groups.sum(axis=1, keepdims=True), 1))
    idf = np.log1p(max(float(counts.sum(axis=1).mean()), 1.0) / np.maximum(totals, 1))
    share = groups.sum(axis=1, keepdims=True) / max(float(totals.sum()), 1.0)   # (m, 1)
    spread = np.clip((groups / np.maximum(totals, 1.0) - share) / np.maximum(1 - share, 1e-9), 0.0, 1.0)
    spread[spread < min_distinct] = 0.0
    return tf * idf * spread


def group_keywords(terms: Terms, labels: np.ndarray, k: int, X: np.ndarray, embed: PhraseEmbedder | None,
                   groups: list[np.ndarray], *, top: int = 8, pool: int = 15, diversity: float = 0.5,
                   blend: float = 0.5, generic: int = 10) -> list[list[str]]:
    """Keyword lists (best first) for groups of clusters: ``groups`` lists, for each, the cluster codes
    in [0, k) of the (n,) ``labels`` it joins (a tree's inner nodes: groups may nest). Candidates as
    :func:`name_keywords`' (generic and rare phrases out, the corpus's most frequent words demoted), scored
    by :func:`group_scores`, re-ranked by closeness to the group's centre in ``X`` (n, dim) and made
    diverse. A smaller ``pool`` than the clusters': the groups' candidates are mostly theirs, embedded
    once through the store."""
    if not len(terms.words) or not groups:
        return [[] for _ in groups]
    counts = per_cluster(terms, labels, k)
    members = np.zeros((len(groups), k), dtype=np.float64)
    for g, codes in enumerate(groups):
        members[g, np.asarray(codes, dtype=np.int64)] = 1.0
    grouped = members @ counts                                                     # (m, vocab)
    scores = group_scores(grouped, counts)
    scores[:, generic_phrases(terms, counts)] = 0.0

    def middle() -> np.ndarray:
        n = len(labels)
        of_cluster = sparse.csr_matrix((np.ones(n), (np.asarray(labels, dtype=np.int64), np.arange(n))), shape=(k, n))
        out = members @ np.asarray(of_cluster @ np.asarray(X, dtype=np.float64))              # (m, dim) sums
        return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    return _ranked(terms, scores, grouped, middle, embed, top=top, pool=pool, diversity=diversity, blend=blend,
                   generic=generic)[0]


def top_words(terms: Terms, n: int = 10) -> list[str]:
    """The ``n`` most frequent single words of the corpus (stop words are already out of ``terms``)."""
    single = np.array([" " not in w for w in terms.words], dtype=bool)
    totals = np.asarray(terms.counts[:, single].sum(axis=0)).ravel()
    return [str(w) for w in terms.words[single][np.argsort(-totals, kind="stable")[:n]]]


# -- the stage -------------------------------------------------------------------------------------------
class NamesCodec:
    """Keyword lists as one JSON byte array (nothing is unpickled from the disk cache)."""

    @staticmethod
    def encode(value: list[list[str]]) -> dict[str, np.ndarray]:
        return {"json": np.frombuffer(json.dumps(value).encode(), np.uint8)}

    @staticmethod
    def decode(arrays: dict[str, np.ndarray]) -> list[list[str]]:
        value = json.loads(arrays["json"].tobytes().decode())
        if not isinstance(value, list) or not all(isinstance(v, list) for v in value):
            raise ValueError("not a list of keyword lists")
        return value


def phrases_stage(sample_key: str, texts: list[str], cache: StageCache) -> Terms:
    """The sample's word and word-pair counts, counted once: naming any k is then one sparse product."""
    return cache.fetch("phrases", stage_key("phrases", sample_key), lambda: phrase_counts(texts))


#: Rows of its own that name a cluster the sample of a big corpus holds none of.
UNSAMPLED_ROWS = 1_000


def names_stage(keys: dict[str, str], labels: np.ndarray, k: int, X: np.ndarray, texts: list[str],
                cfg: EmbedConfig, cache: StageCache, *, embedder: Embedder | None = None,
                load_embedder: Callable[[str, str], Embedder] | None = None,
                store: EmbeddingStore | None = None) -> tuple[str, list[list[str]]]:
    """:func:`name_keywords` for a clustering, keyed on its ``cluster`` key and the ``embed`` key (the
    candidates are embedded by the corpus's model, through the store, so a phrase is embedded once).
    ``labels`` (n,) in [0, k); ``X`` (n, dim) the texts' embeddings. The model is loaded only on a miss.
    Above ``core.training.neighbours.SAMPLE_ABOVE`` texts the phrases are counted, and the names chosen, on the
    rows of :func:`core.training.neighbours.scale_sample` (counting the phrases of a million texts took over a
    minute; a cluster's 25,000 sampled texts name it as well)."""
    from core.training.neighbours import sample_key, scale_sample

    rows = scale_sample(len(texts))
    key = stage_key("names", NAMES_RECIPE, keys["cluster"], keys["embed"], *sample_key(len(texts)))

    def compute() -> list[list[str]]:
        from core.embedding.backends import backend_for

        backend = backend_for(cfg.backend, len(texts))  # the model the texts were embedded with
        model = embedder or (load_embedder or embedding.get_embedder)(cfg.model, backend)
        batch = 1 if embedder is None and backend != cfg.backend else cfg.batch_size  # as the embed stage

        def embed_phrases(phrases: list[str]) -> np.ndarray:
            return embed_texts(phrases, model, store=store, batch_size=batch).vectors

        # a file of vectors cannot embed the phrases: they are ranked by c-TF-IDF alone
        embed = embed_phrases if getattr(model, "embeds_any_text", True) else None
        if rows is None:
            return name_keywords(phrases_stage(keys["sample"], texts, cache), labels, k, X, embed)
        named = np.asarray(labels)
        # a cluster with no sampled row (the vote emptied it on the sample) is named from its own rows
        missing = np.setdiff1d(np.unique(named), np.unique(named[rows]))
        if len(missing):
            own = np.concatenate([np.flatnonzero(named == c)[:UNSAMPLED_ROWS] for c in missing])
            every = np.concatenate([rows, own])
            terms = phrase_counts([texts[i] for i in every])
            return name_keywords(terms, named[every], k, np.asarray(X)[every], embed)
        terms = cache.fetch("phrases", stage_key("phrases", keys["sample"], *sample_key(len(texts))),
                            lambda: phrase_counts([texts[i] for i in rows]))
        return name_keywords(terms, named[rows], k, np.asarray(X)[rows], embed)

    return key, cache.fetch("names", key, compute, NamesCodec)
