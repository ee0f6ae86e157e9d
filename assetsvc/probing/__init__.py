"""Running probes for people and jobs: one-off device checks, reports and hints."""
