"""The built-in plugins' names, importable without loading any plugin (start-up time of `due`)."""

BUILTIN_PLUGINS = ("care_basics", "health_check", "subsidy", "contest")
