"""More like this: the items nearest to one item (or to a typed query) in the embedding space.

Cosine similarity on ``Result.embeddings``, the vectors the clustering saw, so "similar" means what
it means to the clusters. A typed query is embedded with the same embedder as the collection.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from engine.pipeline import Result

DEFAULT_NEIGHBOURS = 20
QUERY_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "how", "in",
    "into", "is", "it", "its", "not", "of", "on", "or", "our", "so", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "to", "was", "were", "what", "when", "where", "which",
    "who", "why", "will", "with", "you", "your",
})  # fmt: skip
"""Words a typed query's matches do not mark: they are in every document."""


def query_words(text: str) -> list[str]:
    """The words of a typed query worth marking in the documents it found, in the order typed."""
    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1 and w not in QUERY_STOP_WORDS]
    return list(dict.fromkeys(words))


def nearest(vectors: np.ndarray, row_or_vector: int | np.ndarray, k: int = DEFAULT_NEIGHBOURS) -> np.ndarray:
    """Rows of ``vectors`` with the highest cosine similarity to a row or a vector, best first.

    Given a row index, that row itself is left out (its neighbours are asked for). Rows of zero
    length have similarity 0. Ties keep the lower row first, so the answer is repeatable.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (items x features); got shape {vectors.shape}")
    if isinstance(row_or_vector, int | np.integer):
        row = int(row_or_vector)
        if not 0 <= row < len(vectors):
            raise ValueError(f"row {row} is outside 0..{len(vectors) - 1}")
        query = vectors[row]
    else:
        row, query = None, np.asarray(row_or_vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != vectors.shape[1]:
            raise ValueError(f"a {query.shape[0]}-d query for {vectors.shape[1]}-d vectors")
    norms = np.linalg.norm(vectors, axis=1) * float(np.linalg.norm(query))
    similarity = np.divide(
        vectors @ query, norms, out=np.zeros(len(vectors), dtype=np.float32), where=norms > 0
    )
    if row is not None:
        similarity[row] = -np.inf
    k = max(0, min(int(k), len(vectors) - (row is not None)))
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    top = np.argpartition(-similarity, k - 1)[:k] if k < len(vectors) else np.arange(len(vectors))
    # Sort by similarity, then by row, so that equal scores come out in a fixed order.
    return top[np.lexsort((top, -similarity[top]))].astype(np.intp)


def more_like(vectors: np.ndarray, seeds: np.ndarray | list[int], k: int = DEFAULT_NEIGHBOURS) -> np.ndarray:
    """The ``k`` rows most like the seed rows, best first, seeds left out.

    One seed: its own nearest neighbours. Several: the rows nearest to the mean of their unit
    vectors, i.e. to what the seeds have in common.
    """
    seeds = np.unique(np.asarray(seeds, dtype=np.intp))
    if len(seeds) == 1:
        return nearest(vectors, int(seeds[0]), k)
    chosen = np.asarray(vectors[seeds], dtype=np.float32)
    units = chosen / np.maximum(np.linalg.norm(chosen, axis=1, keepdims=True), 1e-12)
    found = nearest(vectors, units.mean(axis=0), k + len(seeds))
    return found[~np.isin(found, seeds)][:k]


class TextQuery:
    """Embeds typed text into the space of a text result's embeddings; reusable for many queries.

    A model embedder (MiniLM) embeds the text on its own. An embedder fitted on the corpus (TF-IDF +
    LSA) is fitted again on the analysed documents (a deterministic fit: the same space) by the first
    query; later queries reuse it.
    """

    def __init__(self, result: Result) -> None:
        if result.modality != "text":
            raise ValueError(
                f"Only document collections can be searched by text, not {result.modality} items."
            )
        self.result = result
        self._embed: Any = None

    def embed(self, text: str) -> np.ndarray:
        """One vector for ``text``, comparable (cosine) with ``result.embeddings``."""
        if not text.strip():
            raise ValueError("Type some words to search for.")
        if self._embed is None:
            self._embed = self._embedding_function()
        vector = np.asarray(self._embed([text]), dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.result.embeddings.shape[1]:
            raise ValueError(
                f"The query became a {vector.shape[0]}-d vector but the documents have "
                f"{self.result.embeddings.shape[1]} dimensions; run the analysis again."
            )
        return vector

    def _embedding_function(self) -> Any:
        from engine import embed

        spec = self.result.spec
        options: dict[str, Any] = {"device": spec.device}
        if spec.model and self.result.embedder == (spec.embedder or embed.default_embedder("text")):
            options["model"] = spec.model
        embedder = embed.get_embedder(self.result.embedder, "text", **options)
        if embedder.fits_corpus:  # the space depends on the corpus: fit it again on the same texts
            from engine.progress import NEVER_CANCELLED, no_progress

            analysed = self.result.analysed
            payloads = [embedder.load(item, analysed) for item in analysed.items]
            embedder.fit(payloads, analysed, no_progress, NEVER_CANCELLED)
        return embedder.embed_batch


def embed_query(result: Result, text: str) -> np.ndarray:
    """One vector for ``text`` in the space of ``result.embeddings`` (see :class:`TextQuery`)."""
    return TextQuery(result).embed(text)
