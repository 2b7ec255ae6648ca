"""modlab."""
