import gc
import http.client
from types import SimpleNamespace
from urllib.parse import urlsplit

from config.gunicorn_worker import KEEPALIVE_REQUESTS, SteadyThreadWorker


def test_keep_alive_connection_ends_after_its_request_cap(demo_service):
    address = urlsplit(demo_service.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    answers = []
    sockets = set()

    for _ in range(KEEPALIVE_REQUESTS):
        connection.request("GET", "/healthz")
        sockets.add(id(connection.sock))
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Connection")))

    assert len(sockets) == 1  # every request so far rode one connection
    assert answers[:-1] == [(200, "keep-alive")] * (KEEPALIVE_REQUESTS - 1)
    assert answers[-1] == (200, "close")
    assert connection.sock is None  # http.client closed it, as the answer said

    connection.request("GET", "/healthz")  # the client simply reconnects
    assert connection.getresponse().status == 200
    connection.close()


def test_worker_freezes_what_loading_the_app_created():
    worker = object.__new__(SteadyThreadWorker)  # no arbiter, sockets or config
    worker.app = SimpleNamespace(wsgi=lambda: "the wsgi application")
    gc.unfreeze()

    worker.load_wsgi()

    try:
        assert worker.wsgi == "the wsgi application"
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
