"""The chat engine and its conversation store."""
