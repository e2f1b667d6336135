"""Scanning files and folders into a :class:`~engine.items.Collection`.

``scan(paths)`` is the one entry point the pipeline calls.  CSV files are read here (as tables or
time series, see :mod:`engine.ingest.guess`); text, image and audio files become one item each
and are read later by their embedders, which share the extension tables in
:mod:`engine.ingest.filetypes`.
"""

from engine.ingest.csv_reader import MAX_CSV_BYTES
from engine.ingest.filetypes import MODALITY_BY_EXTENSION, modality_of
from engine.ingest.scan import scan

__all__ = ["MAX_CSV_BYTES", "MODALITY_BY_EXTENSION", "modality_of", "scan"]
