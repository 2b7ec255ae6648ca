"""Human annotation: the Argilla stack, push/pull sync and auto-labelling."""
