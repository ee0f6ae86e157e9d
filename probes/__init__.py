"""Device probes (ONVIF, SNMP, RTSP, image quality); imports nothing from assetsvc."""
