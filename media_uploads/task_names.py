"""The name of each media task, written once.

Tasks register under these names; services send to them after commit. Sending by
name keeps services free of `media_uploads.tasks`, which imports the services.
"""

PROCESS_IMAGE = "media_uploads.process_image"
DELETE_STORED_OBJECTS = "media_uploads.delete_stored_objects"
CLEANUP = "media_uploads.cleanup"
SWEEP_STUCK = "media_uploads.sweep_stuck"
