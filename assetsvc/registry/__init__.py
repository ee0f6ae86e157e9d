"""Registry of cameras, sites, topology, owners, contractors and contracts (一机一档)."""
