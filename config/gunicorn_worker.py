"""gunicorn's threaded worker, made steady under load: `SteadyThreadWorker`.

Two things made poster's latency jump under load, and this worker removes both:

- Connections piling onto one process. A gthread worker accepts every connection it
  can and keeps it for good. When many clients connect at once, as after a deploy or
  a load balancer's reconnect, one process may win nearly all of them (35 against 4
  was seen here): the GIL holds that process to one core while the other idles.
  Like nginx (`keepalive_requests`) and Apache (`MaxKeepAliveRequests`), the worker
  ends a connection after KEEPALIVE_REQUESTS requests, saying so in the answer
  (`Connection: close`), so the client reconnects in good order and the less busy
  process, being the quicker to accept, tends to take it.
- Garbage-collection pauses. Once Django is loaded a worker holds a few hundred
  thousand long-lived objects (modules, models, URL patterns), and every full
  collection walked them all: 60-70 ms in which every request of that process
  waited. `gc.freeze()` after loading moves them out of the collector's sight, as
  Instagram does for its Django workers; objects made later are collected as before.
"""

import gc
import os

from gunicorn.http.message import Request
from gunicorn.workers.gthread import TConn, ThreadWorker

# Read here, not from Django's settings: gunicorn loads this class before the app.
KEEPALIVE_REQUESTS = int(os.environ.get("KEEPALIVE_REQUESTS", "100"))


class SteadyThreadWorker(ThreadWorker):
    def load_wsgi(self) -> None:
        super().load_wsgi()
        gc.freeze()

    def handle_request(self, req: Request, conn: TConn) -> bool:
        conn.requests_served = getattr(conn, "requests_served", 0) + 1
        if KEEPALIVE_REQUESTS and conn.requests_served >= KEEPALIVE_REQUESTS:
            req.must_close = True  # gunicorn answers with Connection: close
        return super().handle_request(req, conn)
