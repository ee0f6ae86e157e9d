"""Process-local Prometheus metrics (prometheus_client): what this process saw itself.

Probe results and durations, cycle lag and writer batches are counted in the worker that does
the work; job runs in the process that leads the scheduler. Each process has its own values
(docs/operations.md: which process exposes what). Figures read from the database (queue depth,
tickets by state, outbox depth) are not here: api/metrics.py computes them at scrape time.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Light checks take milliseconds; deep ones (ONVIF, a decoded frame, 10 s of stream) seconds.
_PROBE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30)
# How late a task ran against its due time: 0 is on time; minutes mean the workers fall behind.
_LAG_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
_BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

PROBE_RESULTS = Counter("assetsvc_probe_results", "Probe results by probe kind and outcome "
                        "(ok, or the error class: timeout, refused, auth, protocol, unsupported, clock, config, busy, transport)",
                        ["kind", "outcome"])
PROBE_DURATION = Histogram("assetsvc_probe_duration_seconds", "Time one probe took, by probe kind",
                           ["kind"], buckets=_PROBE_BUCKETS)
CYCLE_LAG = Histogram("assetsvc_probe_cycle_lag_seconds", "How long after its due time a probe task was "
                      "claimed (due against run)", buckets=_LAG_BUCKETS)
WRITER_BATCH = Histogram("assetsvc_writer_batch_seconds", "Time of one writer transaction (a batch of "
                         "probe outcomes: latest results, states, intervals, task hand-back)", buckets=_BATCH_BUCKETS)
WRITER_ROWS = Counter("assetsvc_writer_outcomes", "Probe outcomes written (kept) or dropped because "
                      "their lease was lost (lost_lease)", ["result"])
WORKER_ERRORS = Counter("assetsvc_worker_errors", "Database errors the worker loop recovered from (it backs off)")
JOB_DURATION = Histogram("assetsvc_job_duration_seconds", "Run time of a scheduled job, by job and outcome "
                         "(ok, failed, skipped: another node held the job's lock)", ["job", "outcome"],
                         buckets=_JOB_BUCKETS)
JOB_FAILURES = Counter("assetsvc_job_failures", "Scheduled job runs that raised", ["job"])
