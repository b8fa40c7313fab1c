import json


def test_each_request_logs_one_structured_line(api, user, caplog):
    caplog.set_level("INFO", logger="poster.request")

    api.get("/api/v1/me/")

    lines = [r.getMessage() for r in caplog.records if r.name == "poster.request"]
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert {k: logged[k] for k in ("method", "path", "status", "user_id")} == {
        "method": "GET",
        "path": "/api/v1/me/",
        "status": 200,
        "user_id": user.id,
    }
    assert logged["duration_ms"] >= 0
