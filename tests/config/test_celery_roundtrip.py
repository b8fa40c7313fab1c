from config.celery import app as celery_app


def test_task_round_trips_through_redis_to_a_real_worker(celery_worker):
    # Results are ignored by default; this one message asks for its result.
    result = celery_app.send_task("celery.ping", ignore_result=False)

    assert result.get(timeout=20) == "pong"
    assert celery_app.conf.broker_url.startswith("redis://")


def test_every_scheduled_task_and_route_names_a_registered_task():
    celery_app.loader.import_default_modules()  # what a worker imports on start
    registered = set(celery_app.tasks)

    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    routed = set(celery_app.conf.task_routes)

    assert scheduled, "beat has nothing to run"
    assert scheduled - registered == set()
    assert routed - registered == set()


def test_pool_children_build_the_storage_client_as_they_start(local_storage):
    from celery.signals import worker_process_init

    from media_uploads.storage import get_storage

    get_storage.cache_clear()

    worker_process_init.send(sender=None)  # what each prefork child sends on start

    assert get_storage.cache_info().currsize == 1
