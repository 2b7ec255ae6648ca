"""Projects, API keys and per-project filters."""

from modlab.projects.filters import FilterError, default_filter, validate_filter
from modlab.projects.service import ProjectError, ProjectNotFound, ProjectStore, ProjectView

__all__ = [
    "FilterError",
    "ProjectError",
    "ProjectNotFound",
    "ProjectStore",
    "ProjectView",
    "default_filter",
    "validate_filter",
]
