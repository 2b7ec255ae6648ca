"""Files that run inside the Argilla server venv (see ``modlab_noida_engine``)."""
