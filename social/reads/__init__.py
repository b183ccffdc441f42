"""Reads: posts and users as one viewer sees them, in one plain form (`views.py`).

`posts.py` and `users.py` read them, `flags.py` decides the viewer's flags, and
social/visibility.py what the viewer may see at all. Every API path reads through here.
"""
