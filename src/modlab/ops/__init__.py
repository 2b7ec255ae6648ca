"""Operating modlab's processes: MLflow, the service, health checks."""
