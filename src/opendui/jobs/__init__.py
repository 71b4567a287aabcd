"""Background jobs: a database-backed backend for Django's Tasks API and its worker.

- `models.Job`: one row per enqueued task (status, attempts, lease, last error);
- `backend.DatabaseBackend`: the `TASKS` backend (`enqueue`, `get_result`);
- `tasks.RetryingTask`: Django's `Task` with a retry policy and an idempotency key;
- `worker`: claims due jobs, runs them, retries with backoff (`opendui worker`);
- `schedule`: periodic jobs, enqueued once per period by the worker.
"""
