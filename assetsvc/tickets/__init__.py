"""Fault tickets (工单) against contractor SLAs: the service calendar, SLA clocks, penalties."""
