"""Change history: who changed which field of which record, with before/after."""
