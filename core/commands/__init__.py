"""One module per command family; imported only when that command runs."""
