"""Sample care programmes shipped with guanai."""
