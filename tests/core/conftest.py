"""tests/core use the root conftest's service fixtures (settings, runtime, client, projects)."""
