"""Monitoring: scheduled probing, debounced camera states, state intervals and uptime (在线率)."""
