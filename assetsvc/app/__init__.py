"""Process wiring above the slices: serve and worker processes, leadership, every scheduled job."""
