from config.celery import app as celery_app


def test_task_round_trips_through_redis_to_a_real_worker(celery_worker):
    # Results are ignored by default; this one message asks for its result.
    result = celery_app.send_task("celery.ping", ignore_result=False)

    assert result.get(timeout=20) == "pong"
    assert celery_app.conf.broker_url.startswith("redis://")
