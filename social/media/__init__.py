"""Uploaded images: processing (processing.py) and where the files live (storage.py)."""
