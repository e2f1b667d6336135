"""Document clusters named by their keywords: class-based TF-IDF over each cluster's documents.

c-TF-IDF (as in BERTopic) treats all documents of a cluster as one long document: a word scores
high when it is frequent in this cluster and rare in the others ("hockey, team, game"). Only the
most typical documents of each cluster are read again, so naming 10 000 documents stays cheap.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import numpy as np

from engine.naming import STAGE, Naming
from engine.progress import CancelToken, Progress

if TYPE_CHECKING:
    from engine.pipeline import Result

DOCS_PER_CLUSTER = 200
"""Documents read per cluster (the most typical); a sample this size gives stable keywords."""
CHARS_PER_DOC = 20_000
N_KEYWORDS = 10
IN_NAME = 3
TOKENS = r"(?u)\b[^\W\d_][^\W\d_]+\b"
"""Words of two letters or more, no digits: numbers and ids make poor names."""


def class_tfidf(docs: dict[int, list[str]], n_keywords: int = N_KEYWORDS) -> dict[int, list[str]]:
    """Per cluster, its ``n_keywords`` best words by c-TF-IDF, best first (English stop words left out).

    A word must occur in at least two of a cluster's documents when the cluster has four or more,
    so that one long document's pet words do not name the whole cluster.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    clusters = [c for c, texts in docs.items() if texts]
    if not clusters:
        return {}
    vectoriser = CountVectorizer(stop_words="english", token_pattern=TOKENS, lowercase=True)
    try:
        counts = vectoriser.fit_transform([t for c in clusters for t in docs[c]])
    except ValueError:  # nothing but stop words and numbers
        return {c: [] for c in clusters}
    words = vectoriser.get_feature_names_out()
    bounds = np.cumsum([0] + [len(docs[c]) for c in clusters])
    per_class = np.vstack(
        [np.asarray(counts[a:b].sum(axis=0)).ravel() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    per_doc = [
        np.asarray((counts[a:b] > 0).sum(axis=0)).ravel()
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    tf = per_class / np.maximum(per_class.sum(axis=1, keepdims=True), 1)
    average_words = per_class.sum() / len(clusters)
    idf = np.log1p(average_words / np.maximum(per_class.sum(axis=0), 1))
    score = tf * idf[None, :]
    out: dict[int, list[str]] = {}
    for i, cluster in enumerate(clusters):
        row = score[i].copy()
        if len(docs[cluster]) >= 4:
            row[per_doc[i] < 2] = 0.0
        best = [j for j in np.argsort(-row, kind="stable")[:n_keywords] if row[j] > 0]
        out[cluster] = [str(words[j]) for j in best]
    return out


def name_texts(
    result: Result, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Each cluster named by its top three keywords; a cluster without any keyword gets ``None``."""
    from engine.embed import ItemError
    from engine.ingest.documents import read_document

    items = result.analysed.items
    total = sum(min(len(rows), DOCS_PER_CLUSTER) for rows in order.values())
    docs: dict[int, list[str]] = {}
    done = 0
    for cluster, rows in order.items():
        docs[cluster] = []
        for row in rows[:DOCS_PER_CLUSTER]:
            cancel.raise_if_cancelled()
            # A document deleted or changed since the run is skipped: the others still name the cluster.
            with contextlib.suppress(ItemError):
                docs[cluster].append(read_document(items[int(row)].path, max_chars=CHARS_PER_DOC))
            done += 1
            if done % 50 == 0:
                progress(STAGE, done, total)
    keywords = class_tfidf(docs)
    progress(STAGE, total, total)
    return {
        c: Naming(", ".join(words[:IN_NAME]), tuple(words)) if words else None
        for c, words in keywords.items()
    }
