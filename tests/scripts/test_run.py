"""`make run` as a newcomer runs it: real processes, embedded defaults, a free port."""

import re
from pathlib import Path

import requests

from tests.service import running_service


def descendants(pid: int) -> set[int]:
    children_of: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children_of.setdefault(parent, []).append(int(entry.name))
    found, pending = set(), [pid]
    while pending:
        for child in children_of.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def log_into_admin(service) -> requests.Response:
    """Log in with the printed demo credentials, as a person would in a browser."""
    password = re.search(r"password (\S+)\)", "".join(service.output)).group(1)
    session = requests.Session()
    login_url = f"{service.base_url}/admin/login/"
    session.get(login_url, timeout=10)
    return session.post(
        login_url,
        data={
            "username": "demo",
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": login_url},
        timeout=10,
    )


def test_make_run_serves_then_stops_every_process_on_sigterm(tmp_path):
    with running_service(tmp_path / "var") as service:
        base_url = service.base_url
        ready = requests.get(f"{base_url}/readyz", timeout=10)
        admin_login = requests.get(f"{base_url}/admin/login/", timeout=10)
        anonymous = requests.get(f"{base_url}/api/v1/me/", timeout=10)
        with_token = requests.get(
            f"{base_url}/api/v1/me/",
            headers={"Authorization": f"Token {service.token}"},
            timeout=10,
        )
        admin_css = requests.get(f"{base_url}/static/admin/css/base.css", timeout=10)
        admin_home = log_into_admin(service)
        me = with_token.json()
        stream = requests.get(
            me["events_url"],
            headers={"Authorization": f"Token {service.token}"},
            stream=True,
            timeout=10,
        )
        stream_start = next(stream.iter_lines(decode_unicode=True))
        stream.close()
        started = descendants(service.process.pid)
        exit_code = service.stop()
    text = "".join(service.output)

    assert ready.status_code == 200, ready.text
    assert admin_login.status_code == 200
    assert "Log in" in admin_login.text
    assert admin_css.status_code == 200
    assert admin_home.status_code == 200
    assert "Site administration" in admin_home.text
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert with_token.json()["username"] == "demo"
    assert with_token.json()["is_staff"] is True
    assert f"  Events: {me['events_url']}" in text
    assert me["events_url"].endswith("/api/v1/events/")
    assert not me["events_url"].startswith(base_url + "/")  # its own process
    assert stream.status_code == 200
    assert stream.headers["Content-Type"] == "text/event-stream"
    assert stream_start.startswith("retry: ")
    for prefix in ("web    | ", "worker | ", "beat   | ", "events | "):
        assert prefix in text, f"no output from {prefix.strip()}"
    assert len(started) >= 5, started  # 3 children, gunicorn and pool workers
    assert exit_code == 0
    assert "poster stopped" in text
    assert "worker: Warm shutdown" in text  # a clean stop, not killed mid-task
    assert "exited with 'signal 15" not in text
    assert [pid for pid in started if is_alive(pid)] == []
