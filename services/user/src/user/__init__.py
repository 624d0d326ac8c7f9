"""User accounts service (Python): kiln builds it like any other project."""
