"""gunicorn's threaded worker, with a cap on the requests of one keep-alive connection.

A gthread worker accepts every connection it can and keeps it for good. When many
clients connect at once, as after a deploy or a load balancer's reconnect, one worker
process may win nearly all of them (35 against 4 was seen here): that process is held
to one core by the GIL while the other idles, so throughput halves and latency
doubles until the clients go away. Like nginx (`keepalive_requests`) and Apache
(`MaxKeepAliveRequests`), the worker ends a connection after a number of requests,
saying so in the answer (`Connection: close`), so the client reconnects in good order
and the less busy worker, being the quicker to accept, tends to take it.
"""

import os

from gunicorn.http.message import Request
from gunicorn.workers.gthread import TConn, ThreadWorker

# Read here, not from Django's settings: gunicorn loads this class before the app.
KEEPALIVE_REQUESTS = int(os.environ.get("KEEPALIVE_REQUESTS", "100"))


class KeepAliveCappedThreadWorker(ThreadWorker):
    def handle_request(self, req: Request, conn: TConn) -> bool:
        conn.requests_served = getattr(conn, "requests_served", 0) + 1
        if KEEPALIVE_REQUESTS and conn.requests_served >= KEEPALIVE_REQUESTS:
            req.must_close = True  # gunicorn answers with Connection: close
        return super().handle_request(req, conn)
