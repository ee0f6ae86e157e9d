"""The monthly report (月报): figures from the registry, the uptime service and the tickets; frozen versions."""
