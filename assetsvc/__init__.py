"""assetsvc: camera network inventory and maintenance (一机一档, probes, tickets, reports)."""
