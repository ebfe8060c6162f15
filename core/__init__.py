"""guanai core: programme model, calendar, engine, storage and CLI."""
