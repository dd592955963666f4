"""The live stream: `GET /v1/stream?store_id=…` as server-sent events, in its own asyncio process.

The gateway's gthread workers hold a thread per request, so thousands of open streams cannot live there.
The stream is a Falcon ASGI app under gunicorn's ASGI worker (`deploy/gunicorn_stream.conf.py`): one
consumer of the bus per process (`bus.py`, a thread) hands each event to an in-memory fan-out (`hub.py`),
which writes it to every open stream of that store (`app.py`). The events say what changed (type, store,
ids), never what a screen shows: a screen reads the change through the ordinary API, with its checks."""
