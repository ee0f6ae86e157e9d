"""Users, roles, API tokens and authentication."""
