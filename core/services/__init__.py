"""The engine's questions, asked without a command line: what is due, compliance, indicators.

A service takes an `App` (store, registry, clock) and plain, parsed arguments, and returns typed
rows; commands parse options, call a service and render; reports and plugins' contexts call the
same services. Nothing here imports click or the command layer (import-linter holds it: the
`[tool.importlinter]` contracts in pyproject.toml, run by `make lint`).
"""
