"""What the full bundle leaves out of transformers: the model code of families no sentence model uses.

transformers ships the code of about 560 model families (46 MB of sources, as much again compiled);
a sentence-transformers text model needs one of a few dozen. Every family keeps its package, its
configuration and its tokenizer and processor modules (transformers imports some of them eagerly,
whatever the model, and lists every family when it maps a config to its classes); the families
below keep their model code too. The ``modular_*`` files are the sources transformers generates its
model files from and are never imported. The spec (DataMining6.spec) applies this to the modules it
collects; tests/engine/test_bundle_trim.py loads a sentence model with the rest unimportable.
"""

from __future__ import annotations

TEXT_FAMILIES = (
    "albert", "bert", "camembert", "clip", "deberta", "deberta_v2", "distilbert", "electra", "eurobert",
    "gemma", "gemma2", "gemma3", "gte", "jina_embeddings_v3", "llama", "mistral", "mobilebert",
    "modernbert", "mpnet", "mt5", "nomic_bert", "qwen2", "qwen3", "roberta", "t5", "umt5", "xlm_roberta",
)  # fmt: skip
"""transformers.models families whose model code ships: those of common sentence-transformers models."""

KEPT_EVERYWHERE = ("__init__", "configuration_", "tokenization_", "processing_")
"""Module name prefixes every family keeps."""


def dropped_module(name: str) -> bool:
    """Whether the bundle leaves out module ``name`` (dotted), by the rules above."""
    parts = name.split(".")
    if parts[2:3] == ["deprecated"]:  # families transformers retired, one folder deeper
        parts = parts[:2] + parts[3:]
    if parts[:2] != ["transformers", "models"] or len(parts) < 4:
        return False
    family, module = parts[2], parts[3]
    if module.startswith("modular_"):
        return True
    return family not in (*TEXT_FAMILIES, "auto") and not module.startswith(KEPT_EVERYWHERE)


def dropped_file(dest: str) -> bool:
    """Whether the bundle leaves out the source file at ``dest`` (a path inside the bundle)."""
    dest = dest.replace("\\", "/")
    return dest.endswith(".py") and dropped_module(dest[: -len(".py")].replace("/", "."))
