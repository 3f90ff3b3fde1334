"""The service: REST API and Prometheus metrics served from stored snapshots."""
