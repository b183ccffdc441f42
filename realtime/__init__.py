"""The live side: one event from notifications/events.py to the socket, in one package.

notifications/events.py (the domain's after-commit publishing call) hands a message to
broker.py, which sends it to every process over Redis (or in-process) and gives each
local subscription its event through a fifo.py queue; the subscriptions (graph/
notifications/subscriptions.py) read what they deliver through loaders.py and db.py, the
process's database thread, and execution.py runs one GraphQL execution for everyone who
would see an event alike; graph/websocket.py and graph/http_streams.py write it to the
sockets and streams. runtime.py owns what the process holds once (broker, keep-alive
loop, database thread, loaders, memory.py's garbage-collection care and socket counts).
"""
