"""Built-in guanai plugins; each module is registered like a third-party plugin."""
