"""The container runtime: a shim per container run (shim.py), its on-disk records (records.py) and the
runtime that starts, watches, signals and enters containers (runtime.py)."""
