"""Widgets that show one part of a ``Result``; they read results and never compute embeddings."""
