"""The live side: one event from notifications/events.py to the socket, in one package.

notifications/events.py (after commit) → broker.py (one Redis subscription per process) →
delivery.py (the subscriptions' `Live` records: read once through loaders.py and db.py,
render each distinct document and payload once) → transport.py (the sockets, both
protocols) or graph/http_streams.py (streams over HTTP). runtime.py owns what the process
holds once (broker, deliveries, keep-alive loop, expiries, database thread, loaders,
memory.py's garbage-collection care).
"""
