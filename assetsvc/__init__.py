"""assetsvc: camera network inventory and maintenance (一机一档, probes, tickets, reports)."""

import os

# Piccolo finds its engine and apps through this module path; set it before any table import.
os.environ.setdefault("PICCOLO_CONF", "assetsvc.piccolo_conf")
