"""JSON Schema of the programme file."""
