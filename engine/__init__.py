"""DataMining6 engine: a plain-Python library (no Qt) that turns folders into clusters.

Folders go in (:mod:`engine.ingest`), items become vectors (:mod:`engine.embed`), vectors become
clusters, anomaly scores and a 2-D map (:mod:`engine.cluster`, :mod:`engine.layout`), judged by
:mod:`engine.metrics`.  :func:`engine.pipeline.run` ties the stages together for the GUI, the CLI
and notebooks alike.
"""

__version__ = "0.1.0"
