"""More like this: true cosine neighbours, and a typed query that finds the matching document."""

from __future__ import annotations

import numpy as np
import pytest

from engine.pipeline import Spec, run
from engine.similar import TextQuery, embed_query, nearest, query_words

CORPUS = {
    "bread.txt": "Knead the bread dough, let it rise in a warm kitchen, then bake the loaf in the oven.",
    "cake.txt": "Whisk eggs with sugar, fold in the flour and bake the sponge cake in the oven.",
    "soup.txt": "Simmer tomatoes, onions and garlic for the soup; season with basil and salt.",
    "saturn.txt": "The telescope showed the rings of Saturn and the moons of Jupiter at night.",
    "galaxy.txt": "Astronomers watched a distant galaxy through the telescope; its stars were faint.",
    "comet.txt": "A comet grows a tail of gas and dust as it nears the Sun in the night sky.",
    "goal.txt": "The striker scored a late goal and the fans in the stadium cheered the team.",
    "penalty.txt": "The goalkeeper saved a penalty kick and the team won the cup final.",
    "referee.txt": "The referee showed a red card after a bad tackle; the team played with ten men.",
}


def brute_force(vectors: np.ndarray, query: np.ndarray, skip: int | None) -> list[int]:
    """Every row's cosine with the query computed one by one in float64, sorted best first."""
    scores = []
    for i, v in enumerate(vectors.astype(np.float64)):
        if i != skip:
            cos = v @ query / (np.linalg.norm(v) * np.linalg.norm(query))
            scores.append((-cos, i))
    return [i for _, i in sorted(scores)]


def test_nearest_of_a_row_are_the_true_cosine_neighbours():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(500, 24)).astype(np.float32) * rng.uniform(0.1, 9, size=(500, 1)).astype(
        np.float32
    )
    for row in (0, 77, 499):
        found = nearest(vectors, row, 20)
        assert found.tolist() == brute_force(vectors, vectors[row].astype(np.float64), row)[:20]
        assert row not in found


def test_nearest_of_a_vector_includes_every_row_and_caps_k():
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(30, 5)).astype(np.float32)
    query = rng.normal(size=5)
    assert nearest(vectors, query, 7).tolist() == brute_force(vectors, query, None)[:7]
    assert sorted(nearest(vectors, query, 100).tolist()) == list(range(30))
    assert len(nearest(vectors, 3, 100)) == 29
    zero = np.vstack([vectors, np.zeros((1, 5), dtype=np.float32)])
    positive = int(((vectors @ query) > 0).sum())
    assert nearest(zero, query, 31).tolist().index(30) == positive  # a zero row scores 0, no error
    with pytest.raises(ValueError, match="4-d query"):
        nearest(vectors, np.ones(4), 3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("embedder", "query", "best"),
    [
        ("text-tfidf", "telescope rings of Saturn", "saturn.txt"),
        ("text-minilm", "a planet seen through an observatory lens", "saturn.txt"),
        ("text-minilm", "baking a loaf", "bread.txt"),
    ],
)
def test_a_typed_query_ranks_the_matching_document_first(corpus, embedder, query, best):
    result = run(Spec(paths=(str(corpus),), embedder=embedder, k=3, use_cache=False))
    assert result.embedder == embedder
    vector = embed_query(result, query)
    order = nearest(result.embeddings, vector, 3)
    names = [result.analysed.items[i].path.name for i in order]
    assert names[0] == best, names


def test_the_refitted_tfidf_space_is_the_results_own(corpus):
    result = run(Spec(paths=(str(corpus),), embedder="text-tfidf", k=3, use_cache=False))
    search = TextQuery(result)
    for row, item in enumerate(result.analysed.items):
        assert np.allclose(
            search.embed(item.path.read_text(encoding="utf-8")), result.embeddings[row], atol=1e-5
        )


def test_a_query_needs_text_and_a_text_collection(corpus):
    result = run(Spec(paths=(str(corpus),), embedder="text-tfidf", k=3, use_cache=False))
    search = TextQuery(result)
    with pytest.raises(ValueError, match="Type some words"):
        search.embed("   ")
    first = search.embed("football team")
    assert np.allclose(search.embed("football team"), first)  # the refitted space is reused
    result.modality = "table"
    with pytest.raises(ValueError, match="not table items"):
        TextQuery(result)


def test_a_typed_querys_words_to_mark_leave_out_the_words_every_document_has():
    assert query_words("The goalkeeper's penalty, and the PENALTY too") == ["goalkeeper", "penalty", "too"]
    assert query_words("  the of and ") == []
