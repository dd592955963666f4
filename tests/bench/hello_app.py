"""A bare Falcon app for the throughput baseline of `tests.bench.gateway_read`:
`gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:<port> tests.bench.hello_app:app`.

No middleware, no auth, no RPC: what gunicorn's gthread workers and Falcon cost on their own,
so the gateway's req/s can be read as a share of it."""
import falcon


class Hello:
    def on_get(self, req, resp):
        resp.media = {"hello": "world"}


app = falcon.App()
app.add_route("/hello", Hello())
