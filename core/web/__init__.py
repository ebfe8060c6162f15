"""`guanai serve`: the teacher's page — what is due, recorded from a phone — and the JSON API under
it, on the services the commands use (no rule of its own). docs/web.md says what it shows,
docs/security.md how it keeps children's data safe."""
