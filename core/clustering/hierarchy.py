"""The clusters shown joined into a tree: a few broad groups over many clusters, named at every level.

The tree is built from the clusters' centres in the raw embedding space (each the L2-normalised mean
of its texts' L2-normalised sentence embeddings), by Ward linkage (``scipy.cluster.hierarchy``): two
groups join when joining them adds least to the spread of the centres. The centres, not the texts,
are linked, so a tree of 200 clusters costs one 200 x 200 linkage whatever the number of texts.

Every inner node is named as BERTopic's ``hierarchical_topics`` names a merge: the c-TF-IDF of the
group's texts taken together against the whole corpus (``core.naming.naming.group_keywords``). A leaf keeps
its cluster's name (the user's, else its keywords).

"Cut at m groups" undoes the last m - 1 joins: the m groups are the roots of the forest the first
k - m joins leave, so a cut always gives exactly m groups (``fcluster``'s ``maxclust`` may give fewer
when heights tie) and the cut at m + 1 splits one group of the cut at m. Plain Python: no Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import leaves_list, linkage

#: name_groups(groups of cluster ids) -> one keyword list per group (best first).
GroupNamer = Callable[[list[list[int]]], list[list[str]]]
METHODS = ("ward", "average")
NAME_WORDS = 3  # keywords in an inner node's name
ROOT = "all clusters"


def centres(vectors: np.ndarray, labels: np.ndarray, ids: list[int]) -> np.ndarray:
    """(k, dim) L2-normalised mean of the rows of (n, dim) ``vectors`` in each cluster of ``ids``
    (the rows L2-normalised first, as the sentence embeddings are); zeros for a cluster with no rows."""
    X = np.asarray(vectors, dtype=np.float64)
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    position = {int(c): i for i, c in enumerate(ids)}
    codes = np.array([position.get(int(c), -1) for c in labels], dtype=np.int64)
    keep = codes >= 0
    members = sparse.csr_matrix((np.ones(int(keep.sum())), (codes[keep], np.flatnonzero(keep))),
                                shape=(len(ids), len(labels)))
    sums = np.asarray(members @ X)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def link(centre: np.ndarray, method: str = "ward") -> np.ndarray:
    """(k - 1, 4) scipy linkage of the (k, dim) ``centre`` rows (empty for k < 2)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if len(centre) < 2:
        return np.zeros((0, 4))
    return linkage(np.asarray(centre, dtype=np.float64), method=method, metric="euclidean")


@dataclass(frozen=True)
class Node:
    """One node: a leaf (``node`` < k, one cluster) or a join of two ``children``. ``clusters`` are
    the ids of the clusters under it in the tree's leaf order; ``size`` their texts; ``height`` the
    linkage distance at which it formed (0 for a leaf)."""

    node: int
    clusters: tuple[int, ...]
    children: tuple[int, ...]
    parent: int | None
    size: int
    height: float
    keywords: tuple[str, ...]
    name: str

    @property
    def leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class Tree:
    """The clusters ``ids`` (leaf i is cluster ``ids[i]``) and their joins: ``nodes[:k]`` the leaves,
    ``nodes[k:]`` the k - 1 inner nodes in the order they formed (the root last)."""

    ids: tuple[int, ...]
    nodes: tuple[Node, ...]
    order: tuple[int, ...]  # the leaves (node numbers) left to right, as a dendrogram draws them

    @property
    def k(self) -> int:
        return len(self.ids)

    @property
    def root(self) -> Node:
        return self.nodes[-1]

    def cut(self, m: int) -> list[Node]:
        """The m groups (1 <= m <= k, clamped) left after the first k - m joins, in leaf order."""
        k = self.k
        m = min(max(int(m), 1), k)
        formed = k + (k - m)  # nodes numbered below this exist after k - m joins
        roots = [n for n in self.nodes[:formed] if n.parent is None or n.parent >= formed]
        place = {leaf: i for i, leaf in enumerate(self.order)}
        first = {n.node: min(place[self.ids.index(c)] for c in n.clusters) for n in roots}
        return sorted(roots, key=lambda n: first[n.node])

    def groups(self, m: int) -> dict[int, int]:
        """{cluster id: its group's position in :meth:`cut` (m)}."""
        return {c: g for g, node in enumerate(self.cut(m)) for c in node.clusters}

    def group_labels(self, labels: np.ndarray, m: int) -> np.ndarray:
        """(n,) the group (0..m-1, as :meth:`cut` orders them) of each text of the (n,) cluster ``labels``."""
        lookup = self.groups(m)
        return np.array([lookup[int(c)] for c in labels], dtype=np.int64)

    def levels(self, most: int = 6) -> list[int]:
        return levels(self.k, most)

    def shown_nodes(self, at: list[int]) -> list[Node]:
        """The nodes that are a group of some cut in ``at`` (each once), root first: a tree as shallow as the
        levels offered, each node's parent there the nearest ancestor that is shown too."""
        seen: dict[int, Node] = {self.root.node: self.root}
        for m in sorted(at):
            for node in self.cut(m):
                seen.setdefault(node.node, node)
        return sorted(seen.values(), key=lambda n: -n.node)

    def shown_parent(self, node: Node, shown: set[int]) -> int | None:
        """The nearest ancestor of ``node`` among the node numbers ``shown`` (None for the root)."""
        parent = node.parent
        while parent is not None and parent not in shown:
            parent = self.nodes[parent].parent
        return parent


def levels(k: int, most: int = 6) -> list[int]:
    """Group counts worth offering as levels of k clusters, largest first: k, then halving down to 2
    (``most`` at most): 77 -> 77, 38, 19, 9, 4, 2."""
    out = [k]
    m = k // 2
    while m >= 2 and len(out) < most:
        if m < out[-1]:
            out.append(m)
        m //= 2
    return out


def build(ids: list[int], sizes: list[int], Z: np.ndarray, leaf_names: dict[int, str],
          inner_keywords: list[list[str]]) -> Tree:
    """The :class:`Tree` of the clusters ``ids`` (their ``sizes``) joined as the (k - 1, 4) linkage ``Z``
    records; ``inner_keywords`` names its k - 1 inner nodes in ``Z``'s order."""
    k = len(ids)
    children: list[tuple[int, ...]] = [()] * k + [(int(a), int(b)) for a, b in Z[:, :2]]
    parent: list[int | None] = [None] * (2 * k - 1 if k else 0)
    for i, (a, b) in enumerate(children[k:]):
        parent[a] = parent[b] = k + i
    order = tuple(int(i) for i in leaves_list(Z)) if k >= 2 else tuple(range(k))
    place = {leaf: i for i, leaf in enumerate(order)}
    members: list[tuple[int, ...]] = [(i,) for i in range(k)]
    for a, b in children[k:]:
        members.append(tuple(sorted(members[a] + members[b], key=place.__getitem__)))
    nodes = []
    for node in range(len(members)):
        clusters = tuple(int(ids[i]) for i in members[node])
        if node < k:
            keywords: tuple[str, ...] = ()
            name = leaf_names.get(int(ids[node]), str(ids[node]))
        else:
            keywords = tuple(inner_keywords[node - k]) if node - k < len(inner_keywords) else ()
            # the root holds every text, so no phrase sets it apart: it is named for what it is
            name = ROOT if node == len(members) - 1 else ", ".join(keywords[:NAME_WORDS]) or _fallback(clusters)
        nodes.append(Node(node, clusters, children[node], parent[node], int(sum(sizes[i] for i in members[node])),
                          float(Z[node - k, 2]) if node >= k else 0.0, keywords, name))
    return Tree(tuple(int(c) for c in ids), tuple(nodes), order)


def _fallback(clusters: tuple[int, ...]) -> str:
    shown = ", ".join(map(str, sorted(clusters)[:4]))
    return f"clusters {shown}" + (f" and {len(clusters) - 4} more" if len(clusters) > 4 else "")


def inner_groups(ids: list[int], Z: np.ndarray) -> list[list[int]]:
    """The cluster ids under each of the k - 1 inner nodes of the linkage ``Z``, in its order."""
    k = len(ids)
    members: list[list[int]] = [[int(c)] for c in ids]
    for a, b in Z[:, :2].astype(int):
        members.append(members[a] + members[b])
    return members[k:]


def tree_of(vectors: np.ndarray, labels: np.ndarray, ids: list[int], sizes: list[int], leaf_names: dict[int, str],
            name_groups: GroupNamer | None = None, *, method: str = "ward") -> Tree:
    """The tree of the clusters ``ids`` (their ``sizes``) of the (n,) ``labels``, linked on their centres
    in the (n, dim) raw embeddings ``vectors``; ``name_groups`` names the inner nodes (None: by their
    clusters' ids)."""
    Z = link(centres(vectors, labels, ids), method)
    groups = inner_groups(ids, Z)
    keywords = name_groups(groups) if name_groups is not None and groups else [[] for _ in groups]
    return build(ids, sizes, Z, leaf_names, keywords)
