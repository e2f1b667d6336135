"""The thin Qt shell over the engine: window, views and the worker thread (see DESIGN.md)."""
